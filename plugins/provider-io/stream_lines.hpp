#pragma once
// Splitting a streamed body into its records: NDJSON lines (Ollama's streaming, JSON-RPC over
// stdio) and Server-Sent Events (OpenAI's streaming, MCP's Streamable HTTP). Both take bytes
// in whatever pieces they arrive and hand out whole records.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace gleitzeit::provider_io {

/// Lines ending in \n (a \r before it is dropped). A line longer than max_line makes feed()
/// return false: the stream is broken and the caller should close it.
class line_splitter {
public:
    explicit line_splitter(std::size_t max_line = 16u << 20) : max_line_(max_line) {}
    /// Calls on_line for each whole line in `bytes`; false when a line is over max_line.
    bool feed(std::string_view bytes, const std::function<void(std::string_view line)>& on_line);
    /// What is left without a newline (the last line of a stream that ended without one).
    const std::string& rest() const noexcept { return partial_; }

private:
    std::size_t max_line_;
    std::string partial_;
};

struct sse_event {
    std::string event = "message";
    std::string data; // the data lines joined with \n
    std::string id;
};

/// The text/event-stream format (WHATWG HTML, "Server-sent events"): fields event, data,
/// id; comments (":") and retry ignored; an empty line dispatches.
class sse_reader {
public:
    explicit sse_reader(std::size_t max_event = 16u << 20)
        : lines_(max_event), max_event_(max_event) {}
    /// Calls on_event for each dispatched event; false when a line or an event's data is over
    /// max_event (the stream is broken then, as with line_splitter).
    bool feed(std::string_view bytes, const std::function<void(const sse_event&)>& on_event);

private:
    line_splitter lines_;
    std::size_t max_event_;
    sse_event current_;
    bool has_data_ = false;
};

} // namespace gleitzeit::provider_io
