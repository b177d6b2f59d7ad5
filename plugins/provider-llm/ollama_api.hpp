#pragma once
// The Ollama HTTP API (its docs/api.md): /api/chat, /api/generate (also for vision: images
// ride along with the prompt), /api/embed, the older /api/embeddings, and /api/tags for the
// model list and the health check. Streams are NDJSON: one JSON object a line, the last with
// "done": true.

#include "llm_answer.hpp"
#include "llm_request.hpp"

#include <boost/json/value.hpp>

#include <string>
#include <vector>

namespace gleitzeit::provider_llm_detail::ollama {


inline constexpr const char* health_path = "/api/tags";

/// The request for chat, generate, vision or embed. Ollama streams unless told not to, so
/// "stream" is always sent.
wire_request build(const llm_request& r, bool stream);

/// /api/embeddings, the endpoint before /api/embed: one text per call.
wire_request build_legacy_embedding(const std::string& model, const std::string& text);

/// One record of a stream (or the whole answer, which is one record with done: true) into
/// `acc`; returns the text it adds. An {"error": ...} record throws answer_error, retryable:
/// the server failed while answering.
std::string apply_record(const boost::json::value& record, llm_method m, completion& acc);

/// /api/embed's answer.
embeddings read_embeddings(const boost::json::value& answer);

/// /api/embeddings' answer: one vector.
boost::json::array read_legacy_embedding(const boost::json::value& answer);

/// The model names of /api/tags.
std::vector<std::string> read_models(const boost::json::value& answer);

} // namespace gleitzeit::provider_llm_detail::ollama
