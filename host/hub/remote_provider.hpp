#pragma once
// provider_link for a remote provider: execute_method with an ack on its connection, and
// cancel_task (docs/events.md, "Components").

#include "hub/provider_link.hpp"
#include "sio/server/socket.hpp"

#include <boost/json/value.hpp>

namespace gleitzeit::hub {

std::shared_ptr<provider_link> remote_provider(std::weak_ptr<sio::socket> connection,
                                               std::string component_id);

/// The task_result of an execute_method reply (its first argument), or of none (nullptr:
/// no reply in time, or the connection went).
task_result result_of_reply(const std::string& task_id, const std::string& component_id,
                            const boost::json::value* reply);

} // namespace gleitzeit::hub
