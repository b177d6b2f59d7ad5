#pragma once
// What the state's export, import and handoff (queue_state.cpp, queue_handoff.cpp) share:
// the format names and the checks an imported state goes through. Internal to queue-memory.

#include "dispatch_queue.hpp"
#include "task_record.hpp"

#include <boost/json/object.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gleitzeit::queue_memory_detail {

inline constexpr std::string_view format_v1 = "queue/1";
inline constexpr std::string_view format_v2 = "queue/2";
inline constexpr std::array<std::string_view, level_count> level_names{"urgent", "high",
                                                                       "normal", "low"};

/// "[a, b]", for messages.
std::string join(const std::vector<std::string>& names);
/// Throws error(invalid_argument, "queue-memory: state " + why).
[[noreturn]] void refuse(const std::string& why);
/// Exactly `keys`, so that a field misspelt by a hand-made state is an error, not ignored.
void expect_keys(const boost::json::object& o, std::span<const std::string_view> keys,
                 const std::string& where);
/// stats.<key> as an unsigned integer.
std::uint64_t counter(const boost::json::object& stats, std::string_view key);
/// Checks one record of an imported state and adds it behind the others of its level.
/// `where` and `i` name it in errors; a record listed under a level must have that priority.
void import_record(std::string_view record, std::string_view where, std::size_t i,
                   std::optional<priority> level, record_scanner& scanner, dispatch_queue& into);

} // namespace gleitzeit::queue_memory_detail
