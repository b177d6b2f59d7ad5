#pragma once
// What the fuzz targets of the CLI's workflow readers (workflow_file_fuzz.cpp,
// original_workflow_fuzz.cpp) check of a workflow they accepted: the hub reads it, and it
// travels to the hub.

#include "fuzz_check.hpp"
#include "sio/protocol/packet.hpp"

#include <gleitzeit/error.hpp>
#include <gleitzeit/types.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value_to.hpp>

#include <string>

namespace gleitzeit::fuzz {

/// The hub's codec refuses the workflow only with gleitzeit::error(invalid_argument).
inline void check_hub_reads(const boost::json::object& w) {
    try {
        boost::json::value_to<gleitzeit::workflow>(boost::json::value(w));
    } catch (const gleitzeit::error& e) {
        if (e.code() != gleitzeit::error_code::invalid_argument)
            broken(("the hub's codec refuses it with " + std::string(e.what())).c_str(), __FILE__,
                   __LINE__);
    }
}

/// Sent as the CLI sends it ([submit_workflow, {workflow}]), it is a packet the hub's
/// Socket.IO decoder takes: not nested too deep, no number JSON cannot write.
inline void check_sendable(const boost::json::object& w) {
    gleitzeit::sio::message m;
    m.args.emplace_back(boost::json::object{{"workflow", w}});
    const auto sent =
        gleitzeit::sio::decode(gleitzeit::sio::encode_event("/", "submit_workflow", m, 1));
    if (!sent.value)
        broken(("the hub refuses the workflow sent: " + sent.error).c_str(), __FILE__, __LINE__);
}

} // namespace gleitzeit::fuzz
