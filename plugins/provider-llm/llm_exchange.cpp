#include "llm_exchange.hpp"

#include "llm_errors.hpp"
#include "ollama_api.hpp"
#include "openai_api.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <system_error>

namespace gleitzeit::provider_llm_detail {

namespace json = boost::json;

namespace {

json::value parse_answer(std::string_view body) {
    std::error_code ec;
    json::value v = json::parse(body, ec);
    if (ec)
        throw answer_error("the answer is not JSON: " + clip(body.empty() ? "(empty)" : body),
                           false);
    return v;
}

completion read_whole(backend api, llm_method method, std::string_view body) {
    const json::value v = parse_answer(body);
    if (api == backend::openai)
        return openai::read_completion(v);
    completion c;
    ollama::apply_record(v, method, c);
    if (!c.done)
        throw answer_error("Ollama's answer is not done (\"done\": false without a stream)",
                           false);
    return c;
}

json::object embed_result(backend api, const llm_request& request, std::string_view body) {
    const json::value v = parse_answer(body);
    embeddings e = api == backend::ollama ? ollama::read_embeddings(v) : openai::read_embeddings(v);
    if (e.vectors.size() != request.inputs.size())
        throw answer_error("the answer has " + std::to_string(e.vectors.size()) +
                               " embeddings for " + std::to_string(request.inputs.size()) +
                               " inputs",
                           false);
    if (e.model.empty())
        e.model = request.model;
    return embeddings_result(e);
}

} // namespace

const char* health_path(backend api) noexcept {
    return api == backend::ollama ? ollama::health_path : openai::health_path;
}

wire_request build_request(backend api, const llm_request& request, bool stream,
                           exchange_stage stage, std::size_t input) {
    if (stage == exchange_stage::legacy_embed)
        return ollama::build_legacy_embedding(request.model, request.inputs.at(input));
    return api == backend::ollama ? ollama::build(request, stream) : openai::build(request, stream);
}

provider_io::http_request to_http(const llm_config& config, const wire_request& wire,
                                  std::chrono::milliseconds total) {
    provider_io::http_request req;
    req.method = wire.body.empty() ? "GET" : "POST";
    req.url = config.url + wire.path;
    req.headers.emplace_back("Accept", "application/json, application/x-ndjson, text/event-stream");
    if (!wire.body.empty()) {
        req.headers.emplace_back("Content-Type", "application/json");
        req.body = json::serialize(wire.body);
    }
    if (!config.api_key.empty())
        req.headers.emplace_back("Authorization", "Bearer " + config.api_key);
    req.connect_timeout = config.connect_timeout;
    req.first_byte_timeout = config.first_byte_timeout;
    req.total_timeout = total;
    req.max_body = config.max_body;
    return req;
}

exchange_outcome conclude(const llm_config& config, const llm_request& request,
                          exchange_stage stage,
                          const std::optional<provider_io::http_error>& failure,
                          const provider_io::http_response& response, answer_reader* reader,
                          const answer_reader::delta_fn& on_delta, const std::string& endpoint,
                          std::chrono::milliseconds total) {
    exchange_outcome o;
    if (failure) {
        o.error = from_http_failure(*failure, endpoint, config, total);
        o.unreachable = is_connection_failure(failure->kind);
        return o;
    }
    const std::string_view body = reader ? std::string_view(reader->head()) : response.body;
    if (response.status < 200 || response.status >= 300) {
        if (config.api == backend::ollama && request.method == llm_method::embed &&
            stage == exchange_stage::main && is_missing_route(response.status, body)) {
            o.retry_legacy_embed = true;
            return o;
        }
        o.error = from_status(response.status, body, endpoint, request.model);
        return o;
    }
    try {
        if (stage == exchange_stage::legacy_embed) {
            o.vector = ollama::read_legacy_embedding(parse_answer(body));
        } else if (request.method == llm_method::embed) {
            o.result = embed_result(config.api, request, body);
        } else {
            completion c = reader ? reader->finish(on_delta)
                                  : read_whole(config.api, request.method, body);
            if (c.model.empty())
                c.model = request.model;
            const bool json_mode = request.options.json || request.options.json_schema;
            o.result = completion_result(c, json_mode);
        }
    } catch (const answer_error& e) {
        o.error = task_error{error_code::provider_error, endpoint + ": " + e.what(), e.retryable()};
    }
    return o;
}

std::vector<std::string> read_model_list(backend api, std::string_view body) {
    const json::value v = parse_answer(body);
    return api == backend::ollama ? ollama::read_models(v) : openai::read_models(v);
}

} // namespace gleitzeit::provider_llm_detail
