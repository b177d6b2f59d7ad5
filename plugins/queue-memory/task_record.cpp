#include "task_record.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <limits>

namespace gleitzeit::queue_memory_detail {

namespace json = boost::json;

namespace {

// The positions of a record's elements, and of the retry policy's inside its array.
enum field : unsigned {
    f_id,
    f_workflow_id,
    f_name,
    f_protocol,
    f_method,
    f_params,
    f_dependencies,
    f_priority,
    f_timeout,
    f_retry,
    f_state,
    f_attempt,
    f_due,
    field_count
};
enum retry_field : unsigned {
    r_max_attempts,
    r_backoff,
    r_base_delay,
    r_max_delay,
    r_jitter,
    retry_count
};

// A task's params may nest deeper than Boost.JSON's default of 32, and its strings need not
// be valid UTF-8 (std::string holds any bytes, and the serializer writes them as they are):
// a record must read back whatever was enqueued.
json::parse_options record_parse_options() {
    json::parse_options o;
    o.max_depth = 4096;
    o.allow_invalid_utf8 = true;
    return o;
}

} // namespace

std::string encode_record(const task& t) {
    // The record's JSON tree lives in this buffer (or blocks of its resource for big params),
    // so building it costs no heap allocation of its own.
    unsigned char buffer[2048];
    json::monotonic_resource scratch(buffer, sizeof buffer);
    json::array deps(&scratch);
    deps.reserve(t.dependencies.size());
    for (const auto& d : t.dependencies)
        deps.emplace_back(json::string_view(d));
    json::array retry(&scratch);
    retry.reserve(retry_count);
    retry.emplace_back(t.retry.max_attempts);
    retry.emplace_back(static_cast<std::int64_t>(t.retry.kind));
    retry.emplace_back(t.retry.base_delay.count());
    retry.emplace_back(t.retry.max_delay.count());
    retry.emplace_back(t.retry.jitter);

    json::array r(&scratch);
    r.reserve(field_count);
    r.emplace_back(json::string_view(t.id));
    r.emplace_back(json::string_view(t.workflow_id));
    r.emplace_back(json::string_view(t.name));
    r.emplace_back(json::string_view(t.protocol));
    r.emplace_back(json::string_view(t.method));
    r.emplace_back(t.params);
    r.emplace_back(std::move(deps));
    r.emplace_back(static_cast<std::int64_t>(t.priority));
    r.emplace_back(t.timeout.count());
    r.emplace_back(std::move(retry));
    r.emplace_back(static_cast<std::int64_t>(t.state));
    r.emplace_back(t.attempt);
    r.emplace_back(t.due_ms);
    return json::serialize(r);
}

task decode_record(std::string_view record) {
    json::error_code ec;
    json::value v = json::parse(record, ec, {}, record_parse_options());
    if (ec)
        throw error(error_code::internal,
                    "queue-memory: a queued task record does not parse: " + ec.message());
    auto str = [](const json::value& x) {
        const auto& s = x.as_string();
        return std::string(s.data(), s.size());
    };
    try {
        auto& r = v.as_array();
        task t;
        t.id = str(r.at(f_id));
        t.workflow_id = str(r.at(f_workflow_id));
        t.name = str(r.at(f_name));
        t.protocol = str(r.at(f_protocol));
        t.method = str(r.at(f_method));
        t.params = std::move(r.at(f_params).as_object());
        const auto& deps = r.at(f_dependencies).as_array();
        t.dependencies.reserve(deps.size());
        for (const auto& d : deps)
            t.dependencies.push_back(str(d));
        t.priority = static_cast<priority>(r.at(f_priority).to_number<int>());
        t.timeout = std::chrono::milliseconds(r.at(f_timeout).to_number<std::int64_t>());
        const auto& retry = r.at(f_retry).as_array();
        t.retry.max_attempts = retry.at(r_max_attempts).to_number<unsigned>();
        t.retry.kind = static_cast<backoff>(retry.at(r_backoff).to_number<int>());
        t.retry.base_delay =
            std::chrono::milliseconds(retry.at(r_base_delay).to_number<std::int64_t>());
        t.retry.max_delay =
            std::chrono::milliseconds(retry.at(r_max_delay).to_number<std::int64_t>());
        t.retry.jitter = retry.at(r_jitter).to_number<double>();
        t.state = static_cast<task_state>(r.at(f_state).to_number<int>());
        t.attempt = r.at(f_attempt).to_number<unsigned>();
        t.due_ms = r.at(f_due).to_number<std::int64_t>();
        return t;
    } catch (const std::exception& e) {
        throw error(error_code::internal,
                    std::string("queue-memory: a queued task record is malformed: ") + e.what());
    }
}

// ---- record_scanner ---------------------------------------------------------------------
//
// A SAX handler, so that checking a record costs one pass over its text and no JSON tree:
// at 100,000 tasks the tree would cost more than the whole budget of a hot swap.

namespace {

const char* const expected[field_count] = {
    "id: a string",
    "workflow_id: a string",
    "name: a string",
    "protocol: a string",
    "method: a string",
    "params: an object",
    "dependencies: an array of strings",
    "priority: an integer 0 (urgent) to 3 (low)",
    "timeout: an integer 0 to 2592000000 (ms: at most 30 days)",
    "retry: [max_attempts, backoff 0 to 2, base_delay ms, max_delay ms, jitter]",
    "state: an integer 0 (pending) to 7 (skipped)",
    "attempt: an unsigned 32-bit integer",
    "due_ms: an integer >= 0 (Unix ms, 0: now)",
};
const char* const expected_retry[retry_count] = {
    "max_attempts: an integer 1 to 4294967295",
    "backoff: an integer 0 (fixed) to 2 (exponential)",
    "base_delay: an integer 0 to 2592000000 (ms: at most 30 days)",
    "max_delay: an integer 0 to 2592000000 (ms: at most 30 days)",
    "jitter: a number 0 to 1",
};

// The kinds of scalar the parser reports, as bits, so that a position can allow several.
enum scalar : unsigned { string = 1, int64 = 2, uint64 = 4, floating = 8, other = 16 };

// What may stand at a position of a record: the kinds of scalar, and the range of an int64 or
// a double. A position that holds a container allows no scalar. The ranges are those of the
// hub's codec (plugin-api's types.cpp), which a dequeued task must pass again: an imported
// state may be hand-made.
struct rule {
    unsigned kinds;
    std::int64_t min = std::numeric_limits<std::int64_t>::min();
    std::int64_t max = std::numeric_limits<std::int64_t>::max();
};
constexpr std::int64_t max_unsigned = std::numeric_limits<unsigned>::max();
// The longest timeout or retry delay the codec takes: 30 days (max_duration_ms in
// plugin-api/src/types.cpp, which no header exposes).
constexpr std::int64_t max_duration_ms = 30LL * 24 * 3600 * 1000;
constexpr rule field_rules[field_count] = {
    {string},
    {string},
    {string},
    {string},
    {string},                    // id .. method
    {0},                         // params
    {0},                         // dependencies
    {int64, 0, 3},               // priority
    {int64, 0, max_duration_ms}, // timeout
    {0},                         // retry
    {int64, 0, 7},               // state
    {int64, 0, max_unsigned},    // attempt
    {int64, 0},                  // due_ms
};
constexpr rule retry_rules[retry_count] = {
    {int64, 1, max_unsigned},    // max_attempts
    {int64, 0, 2},               // backoff
    {int64, 0, max_duration_ms}, // base_delay
    {int64, 0, max_duration_ms}, // max_delay
    {int64 | floating, 0, 1},    // jitter
};

bool fits(const rule& r, scalar kind, std::int64_t i, double d) {
    if ((r.kinds & kind) == 0)
        return false;
    if (kind == int64)
        return i >= r.min && i <= r.max;
    if (kind == floating) // false for nan, which the parser never makes
        return d >= static_cast<double>(r.min) && d <= static_cast<double>(r.max);
    return true;
}

struct record_handler {
    static constexpr std::size_t max_object_size = std::size_t(-1);
    static constexpr std::size_t max_array_size = std::size_t(-1);
    static constexpr std::size_t max_key_size = std::size_t(-1);
    static constexpr std::size_t max_string_size = std::size_t(-1);

    std::string id;       // reused between records, so its capacity stays
    std::string protocol; // likewise
    priority level = priority::normal;
    std::string_view problem;      // set when a callback refuses
    bool problem_is_field = false; // `problem` says what element `field` must be
    bool problem_is_retry = false; // `problem` says what `retry_item` of the retry must be

    unsigned depth = 0;      // open containers; the record's own array is depth 1
    unsigned field = f_id;   // the element of the record being read
    unsigned retry_item = 0; // the element of the retry array being read

    void start() {
        id.clear();
        protocol.clear();
        problem = {};
        problem_is_field = false;
        problem_is_retry = false;
        depth = 0;
        field = f_id;
        retry_item = 0;
    }

    bool refuse(json::error_code& ec, std::string_view why) {
        problem = why;
        ec = json::error::syntax;
        return false;
    }
    bool refuse_field(json::error_code& ec) {
        if (field >= field_count)
            return refuse(ec, "has more than 13 elements");
        problem_is_field = true;
        return refuse(ec, expected[field]);
    }

    bool refuse_retry_item(json::error_code& ec) {
        problem_is_retry = true;
        return refuse(ec, expected_retry[retry_item]);
    }

    // Whether a scalar may stand where the parser is; consumes the position.
    bool accept(json::error_code& ec, scalar kind, std::int64_t i = 0, double d = 0) {
        if (depth == 1) {
            if (field >= field_count || !fits(field_rules[field], kind, i, d))
                return refuse_field(ec);
            if (field == f_priority)
                level = static_cast<priority>(i);
            ++field;
            return true;
        }
        if (depth == 0)
            return refuse(ec, "is not an array");
        if (field == f_params)
            return true;
        if (field == f_dependencies)
            return kind == string || refuse_field(ec);
        if (retry_item >= retry_count)
            return refuse_field(ec);
        if (!fits(retry_rules[retry_item], kind, i, d))
            return refuse_retry_item(ec);
        ++retry_item;
        return true;
    }

    bool on_document_begin(json::error_code&) { return true; }
    bool on_document_end(json::error_code&) { return true; }

    bool on_array_begin(json::error_code& ec) {
        if (depth == 1 && field != f_dependencies && field != f_retry)
            return refuse_field(ec);
        if (depth > 1 && field != f_params)
            return refuse_field(ec);
        ++depth;
        return true;
    }
    bool on_array_end(std::size_t, json::error_code& ec) {
        if (depth == 1 && field != field_count)
            return refuse(ec, "has fewer than 13 elements");
        if (depth == 2 && field == f_retry && retry_item != retry_count)
            return refuse_field(ec);
        if (--depth == 1)
            ++field;
        return true;
    }
    bool on_object_begin(json::error_code& ec) {
        if (depth == 0)
            return refuse(ec, "is not an array");
        if (field != f_params)
            return refuse_field(ec);
        ++depth;
        return true;
    }
    bool on_object_end(std::size_t, json::error_code&) {
        if (--depth == 1)
            ++field;
        return true;
    }

    // The id and the protocol are kept whole; an escaped string may arrive in parts.
    std::string* kept_string() {
        if (depth != 1)
            return nullptr;
        return field == f_id ? &id : field == f_protocol ? &protocol : nullptr;
    }
    bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
        if (auto* k = kept_string())
            k->append(s.data(), s.size());
        return true;
    }
    bool on_string(json::string_view s, std::size_t, json::error_code& ec) {
        if (auto* k = kept_string())
            k->append(s.data(), s.size());
        return accept(ec, string);
    }
    bool on_key_part(json::string_view, std::size_t, json::error_code&) { return true; }
    bool on_key(json::string_view, std::size_t, json::error_code&) { return true; }
    bool on_number_part(json::string_view, json::error_code&) { return true; }
    bool on_int64(std::int64_t i, json::string_view, json::error_code& ec) {
        return accept(ec, int64, i);
    }
    bool on_uint64(std::uint64_t, json::string_view, json::error_code& ec) {
        return accept(ec, uint64);
    }
    bool on_double(double d, json::string_view, json::error_code& ec) {
        return accept(ec, floating, 0, d);
    }
    bool on_bool(bool, json::error_code& ec) { return accept(ec, other); }
    bool on_null(json::error_code& ec) { return accept(ec, other); }
    bool on_comment_part(json::string_view, json::error_code&) { return true; }
    bool on_comment(json::string_view, json::error_code&) { return true; }
};

} // namespace

struct record_scanner::parser {
    json::basic_parser<record_handler> sax{record_parse_options()};
};

record_scanner::record_scanner() : parser_(std::make_unique<parser>()) {}
record_scanner::~record_scanner() = default;

record_scanner::fields record_scanner::scan(std::string_view record) {
    auto& p = parser_->sax;
    p.reset();
    auto& h = p.handler();
    h.start();
    json::error_code ec;
    const auto used = p.write_some(false, record.data(), record.size(), ec);
    if (ec) {
        if (h.problem_is_field)
            throw error(error_code::invalid_argument, "element " + std::to_string(h.field) +
                                                          " must be " + std::string(h.problem));
        if (h.problem_is_retry)
            throw error(error_code::invalid_argument, "element " + std::to_string(h.field) + "[" +
                                                          std::to_string(h.retry_item) +
                                                          "] must be " + std::string(h.problem));
        if (!h.problem.empty())
            throw error(error_code::invalid_argument, std::string(h.problem));
        throw error(error_code::invalid_argument, "is not JSON: " + ec.message());
    }
    // The parser stops at the end of the array; decode_record's json::parse would refuse
    // anything but whitespace after it, and the task would be lost at its dequeue.
    if (record.substr(used).find_first_not_of(" \t\n\r") != std::string_view::npos)
        throw error(error_code::invalid_argument, "has data after its array");
    return {h.id, h.protocol, h.level};
}

} // namespace gleitzeit::queue_memory_detail
