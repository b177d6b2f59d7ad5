#include "answer_reader.hpp"

#include "llm_errors.hpp"
#include "ollama_api.hpp"
#include "openai_api.hpp"

#include <boost/json/parse.hpp>

#include <system_error>

namespace gleitzeit::provider_llm_detail {

namespace json = boost::json;

answer_reader::answer_reader(backend api, llm_method method, std::size_t max_record)
    : api_(api), method_(method), lines_(max_record), events_(max_record) {}

void answer_reader::feed(std::string_view bytes, const delta_fn& on_delta) {
    if (!head_cut_) {
        const std::size_t room = head_limit - head_.size();
        head_.append(bytes.substr(0, room));
        head_cut_ = bytes.size() > room;
    }
    if (broken_)
        return;
    bool whole = true;
    if (api_ == backend::ollama) {
        whole = lines_.feed(bytes, [&](std::string_view line) {
            if (!broken_ && !line.empty())
                on_record(line, on_delta);
        });
    } else {
        whole = events_.feed(bytes, [&](const provider_io::sse_event& e) {
            if (!broken_)
                on_record(e.data, on_delta);
        });
    }
    if (!whole && !broken_)
        broken_.emplace("a record of the answer is longer than max_body", false);
}

void answer_reader::on_record(std::string_view text, const delta_fn& on_delta) {
    ++records_;
    try {
        std::string delta;
        if (api_ == backend::ollama) {
            if (acc_.done)
                return; // nothing counts after the last record
            std::error_code ec;
            const json::value v = json::parse(text, ec);
            if (ec)
                throw answer_error("the answer is not JSON: " + clip(text), false);
            delta = ollama::apply_record(v, method_, acc_);
        } else {
            delta = openai::apply_event(text, acc_);
        }
        if (!delta.empty())
            on_delta(delta);
    } catch (const answer_error& e) {
        broken_.emplace(e);
    }
}

completion answer_reader::finish(const delta_fn& on_delta) {
    // An NDJSON stream's last line may come without its newline.
    if (api_ == backend::ollama && !broken_ && !lines_.rest().empty()) {
        const std::string last = lines_.rest();
        on_record(last, on_delta);
    }
    if (broken_)
        throw *broken_;
    if (acc_.done)
        return acc_;
    if (records_ == 0)
        return whole_answer();
    throw answer_error("the stream ended before its last record", true);
}

completion answer_reader::whole_answer() const {
    // A server that does not stream answers a stream request with one JSON object.
    if (head_.empty())
        throw answer_error("the answer is not JSON: (empty)", false);
    std::error_code ec;
    const json::value v = json::parse(head_, ec);
    if (ec || head_cut_)
        throw answer_error("the answer is not JSON: " + clip(head_), false);
    if (api_ == backend::openai)
        return openai::read_completion(v);
    completion c;
    ollama::apply_record(v, method_, c);
    if (!c.done)
        throw answer_error("the stream ended before its last record", true);
    return c;
}

} // namespace gleitzeit::provider_llm_detail
