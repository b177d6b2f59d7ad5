#pragma once
// What goes over the wire, in the backends' shared terms: the request to send (path and JSON
// body), and what came back (a completion, assembled from one answer or from a stream, or
// embeddings), with the result objects a task gets from them.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

namespace gleitzeit::provider_llm_detail {

struct wire_request {
    std::string path; // appended to the config's url, e.g. "/api/chat"
    boost::json::object body;
};

/// A chat or generate answer; a stream adds to it record by record.
struct completion {
    std::string text;
    std::string model;
    std::optional<std::int64_t> prompt_tokens;
    std::optional<std::int64_t> completion_tokens;
    std::string done_reason;
    bool done = false; // the final record (Ollama's done: true, OpenAI's [DONE]) came
};

struct embeddings {
    std::string model;
    boost::json::array vectors; // one array of numbers per input, in input order
    std::optional<std::int64_t> prompt_tokens;
};

/// An answer that is JSON but not what the API promises, or an error record inside a
/// stream. what() is for people.
class answer_error : public std::runtime_error {
public:
    answer_error(const std::string& message, bool retryable)
        : std::runtime_error(message), retryable_(retryable) {}
    bool retryable() const noexcept { return retryable_; }

private:
    bool retryable_;
};

/// {response, content, model, usage: {prompt_tokens, completion_tokens, total_tokens},
/// done_reason}; with json_mode also `json`, the answer parsed, when it parses. Unknown
/// token counts are null.
boost::json::object completion_result(const completion& c, bool json_mode);

/// {embedding (the first vector), embeddings, model, usage: {prompt_tokens, total_tokens}}.
boost::json::object embeddings_result(const embeddings& e);

/// Reading an answer's fields, for both backends: throw answer_error(not retryable) naming
/// the field and the endpoint.
const boost::json::object& as_object(const boost::json::value& v, const std::string& what);
std::optional<std::int64_t> optional_count(const boost::json::object& o, const char* key);
/// An array of numbers, checked: a vector with a string in it is a broken answer.
boost::json::array number_array(const boost::json::value& v, const std::string& what);

} // namespace gleitzeit::provider_llm_detail
