#pragma once
// Reads a streamed chat, generate or vision answer as its bytes arrive: Ollama's NDJSON or
// OpenAI's Server-Sent Events, into one completion, handing each piece of text on as it
// comes (the provider emits it as task_progress). The status line is not known while the
// bytes come (the HTTP client hands over the body only), so the start of the body is kept
// too: an error status's message is read from it, and so is a server that answered a stream
// request with one JSON object.

#include "llm_answer.hpp"
#include "llm_config.hpp"
#include "llm_request.hpp"

#include "stream_lines.hpp"

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace gleitzeit::provider_llm_detail {

class answer_reader {
public:
    /// Text pieces, in order; never empty.
    using delta_fn = std::function<void(const std::string& text)>;

    answer_reader(backend api, llm_method method, std::size_t max_record);

    /// Body bytes as they come. After the first broken record the rest is only kept.
    void feed(std::string_view bytes, const delta_fn& on_delta);

    /// Once the body has ended with a 2xx status: the completion. Throws answer_error for a
    /// broken record, a stream that ended before its last record, or a body that is neither
    /// a stream nor a JSON answer (what() then starts with "the answer is not JSON").
    /// An NDJSON line that ends the body without its newline is read here; its text goes to
    /// on_delta like any other.
    completion finish(const delta_fn& on_delta);

    /// The start of the body (up to head_limit bytes), for error messages.
    const std::string& head() const noexcept { return head_; }

    static constexpr std::size_t head_limit = 64 * 1024;

private:
    void on_record(std::string_view text, const delta_fn& on_delta);
    completion whole_answer() const;

    backend api_;
    llm_method method_;
    provider_io::line_splitter lines_;
    provider_io::sse_reader events_;
    completion acc_;
    std::size_t records_ = 0;
    std::optional<answer_error> broken_;
    std::string head_;
    bool head_cut_ = false;
};

} // namespace gleitzeit::provider_llm_detail
