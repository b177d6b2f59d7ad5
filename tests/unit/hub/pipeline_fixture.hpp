#pragma once
// What every pipeline test shares: a pipeline over fake slots (the shipped queue-memory,
// resolver-dag, registry-default, and persistence-sqlite on a file in a fresh temp dir), a
// manual clock, the events it emits, and a driver that runs the io_context until nothing is
// left to do. Single-threaded; time moves only in advance().

#include "hub_fakes.hpp"

#include "../../plugins/persistence-sqlite/persistence_sqlite_fixtures.hpp"

#include "hub/pipeline.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace hub_test {

namespace json = boost::json;
using namespace std::chrono_literals;
using persistence_sqlite_test::raw_db;
using persistence_sqlite_test::temp_dir;

/// One emit_fn call.
struct emitted {
    std::vector<std::string> rooms;
    std::string event;
    json::object payload; // without _timestamp, the one field a test cannot know
};

/// echo/v1: method "echo" takes {text: string} (so that a number is refused), method "wait"
/// takes anything.
gleitzeit::protocol_spec echo_spec();

/// A reply that a test waits for: set once, by the pipeline's callback.
struct reply_box {
    std::optional<json::object> value;
    std::size_t count = 0;
    std::function<void(json::object)> fn() {
        return [this](json::object o) {
            ++count;
            value = std::move(o);
        };
    }
};

class pipeline_fixture {
public:
    /// A pipeline over the shipped plugins, persistence-sqlite at db_path.
    explicit pipeline_fixture(std::size_t keep_finished = 1000);
    ~pipeline_fixture();

    temp_dir dir;
    const std::string db_path;
    boost::asio::io_context ioc;
    manual_clock clock;
    fake_slots slots{ioc};
    std::vector<emitted> events;
    std::unique_ptr<gleitzeit::hub::pipeline> pipe;

    /// Replaces the pipeline (a restart): the slots, the clock and the events stay.
    /// `max_result`: the pipeline's bound on a result's JSON (0: none);
    /// `keep_finished_tasks`: on the tasks of the finished workflows kept.
    void make_pipeline(std::size_t keep_finished = 1000, std::size_t max_result = 0,
                       std::size_t keep_finished_tasks = 20000);

    /// Runs every handler ready, and every alarm due now, until there are none.
    void drive();
    /// Moves the clock forward, driving after each alarm that fires.
    void advance(std::chrono::milliseconds by);

    /// submit_workflow {workflow: <text>}, driven; the reply (the test fails without one).
    json::object submit(const std::string& workflow_text);
    json::object submit_value(const json::value& payload);
    /// Rooms the submitter joined, in order.
    std::vector<std::string> joined;
    /// query_status {workflow_id: id}, driven.
    json::object status(const std::string& id);
    /// query_status with `payload`, driven.
    json::object query(const json::object& payload);
    /// query_status {} (the list), driven.
    json::object status_all();
    json::object cancel(const std::string& id);
    /// A task's entry in query_status: {state, attempt, result | error}.
    json::object task_status(const std::string& wf, const std::string& task);
    std::string task_state(const std::string& wf, const std::string& task);
    std::string workflow_state(const std::string& wf);

    /// A remote provider of `specs` registers (add_provider), driven.
    std::shared_ptr<fake_link> add_remote(const std::string& name, std::size_t max_concurrency,
                                          std::vector<gleitzeit::protocol_spec> specs = {
                                              echo_spec()});
    /// A remote provider goes (remove_provider), driven; how many calls were requeued.
    std::size_t remove_remote(const std::string& name);
    /// recover(), driven; its summary.
    std::string recover();
    json::array providers();

    /// Events as "name" or "name task_id", in order, optionally only those of `wf`.
    std::vector<std::string> event_names(const std::string& wf = "") const;
    /// The last event named `event` (for task `task_id`, if given); fails the test if none.
    const emitted& last_event(const std::string& event, const std::string& task_id = "") const;

    /// Rows of `sql` on the persistence file, through a connection of its own.
    std::vector<std::string> rows(const std::string& sql);
    /// The queue slot's task ids in dispatch order.
    std::vector<std::string> queued() const;

private:
    std::vector<std::shared_ptr<fake_link>> remotes_; // hung up at the end of the test
};

/// `text` parsed as a JSON object.
json::object obj(const std::string& text);
/// Compact JSON of `v`, for readable comparisons.
std::string js(const json::value& v);

} // namespace hub_test
