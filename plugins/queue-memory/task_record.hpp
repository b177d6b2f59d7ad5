#pragma once
// A queued task as one string: the compact JSON array text of all its fields, written once at
// enqueue. The queue keeps tasks in this form and the state carries it as is, so a hot swap
// copies one string per task instead of building and copying a JSON tree per task (see the
// state formats in queue_memory.hpp).
//
//   [id, workflow_id, name, protocol, method, params, dependencies, priority, timeout_ms,
//    [max_attempts, backoff, base_delay_ms, max_delay_ms, jitter], state, attempt, due_ms]
//
// Enums are their index in types.hpp: priority 0 urgent .. 3 low, backoff 0 fixed .. 2
// exponential, state 0 pending .. 7 skipped.

#include "gleitzeit/types.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace gleitzeit::queue_memory_detail {

/// The record of `t`.
std::string encode_record(const task& t);

/// The task of a record that encode_record wrote or record_scanner accepted. Throws
/// error(internal) for anything else: the queue never holds an unchecked record.
task decode_record(std::string_view record);

/// Checks a record from outside (an imported state) against the layout above without
/// building the task, and picks out what the queue indexes by. Its numbers must be in the
/// ranges of the hub's codec (plugin-api's types.cpp), which the dequeued task goes through:
/// timeout and retry delays 0 to 30 days in ms, max_attempts >= 1, jitter 0 to 1, due_ms >= 0;
/// and only whitespace may follow the array. One scanner checks many records; it reuses its
/// parser between them.
class record_scanner {
public:
    struct fields {
        std::string_view id;       // valid until the next scan
        std::string_view protocol; // valid until the next scan
        priority level = priority::normal;
    };

    record_scanner();
    ~record_scanner();
    record_scanner(const record_scanner&) = delete;
    record_scanner& operator=(const record_scanner&) = delete;

    /// The indexed fields of `record`; throws error(invalid_argument) saying what is wrong.
    fields scan(std::string_view record);

private:
    struct parser;
    std::unique_ptr<parser> parser_;
};

} // namespace gleitzeit::queue_memory_detail
