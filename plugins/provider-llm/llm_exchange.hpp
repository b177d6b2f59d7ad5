#pragma once
// One HTTP exchange of a call, from request to outcome, without I/O: which request a call
// sends (per backend, method, and for embed on an old Ollama per input), and what the
// response means: a result, an error (llm_errors.hpp), or the next request to send. The
// provider runs these on its io thread; the unit tests run them on recorded responses.

#include "answer_reader.hpp"
#include "llm_answer.hpp"
#include "llm_config.hpp"
#include "llm_request.hpp"

#include "http_client.hpp"

#include "gleitzeit/types.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

namespace gleitzeit::provider_llm_detail {

/// Which request of a call is out.
enum class exchange_stage {
    main,         // the method's own endpoint
    legacy_embed, // /api/embeddings for one input, after /api/embed was 404
};

/// The request to send; for legacy_embed, the one for request.inputs[input].
wire_request build_request(backend api, const llm_request& request, bool stream,
                           exchange_stage stage = exchange_stage::main, std::size_t input = 0);

/// The HTTP request for `wire` with the config's URL, key, timeouts and body cap.
provider_io::http_request to_http(const llm_config& config, const wire_request& wire,
                                  std::chrono::milliseconds total);

struct exchange_outcome {
    std::optional<boost::json::object> result; // the task's result
    std::optional<task_error> error;
    std::optional<boost::json::array> vector; // legacy_embed: this input's embedding
    bool retry_legacy_embed = false;          // /api/embed is missing: use /api/embeddings
    bool unreachable = false;                 // the server is not there: unhealthy
};

/// What a finished exchange means. `reader` is the streaming reader when the call streamed
/// (the body went to it), else null and the body is in `response`. `endpoint` is the URL
/// called, for messages. Text the reader still finds at the end goes to on_delta.
exchange_outcome conclude(const llm_config& config, const llm_request& request,
                          exchange_stage stage,
                          const std::optional<provider_io::http_error>& failure,
                          const provider_io::http_response& response, answer_reader* reader,
                          const answer_reader::delta_fn& on_delta, const std::string& endpoint,
                          std::chrono::milliseconds total);

/// The model names a health check's answer lists; throws answer_error.
std::vector<std::string> read_model_list(backend api, std::string_view body);

const char* health_path(backend api) noexcept;

} // namespace gleitzeit::provider_llm_detail
