#pragma once
// The OpenAI-compatible API as llama.cpp's server, vLLM, LM Studio and OpenAI serve it:
// /v1/chat/completions (chat; generate and vision become a conversation of one user message,
// images as data: URLs), /v1/embeddings, and /v1/models for the health check. Streams are
// Server-Sent Events, "data: {chunk}" each, ending with "data: [DONE]".

#include "llm_answer.hpp"
#include "llm_request.hpp"

#include <boost/json/value.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace gleitzeit::provider_llm_detail::openai {

inline constexpr const char* health_path = "/v1/models";

/// The request for chat, generate, vision or embed. A stream asks for a last chunk with
/// the usage (stream_options.include_usage), which servers otherwise leave out.
wire_request build(const llm_request& r, bool stream);

/// A whole chat.completion answer.
completion read_completion(const boost::json::value& answer);

/// The data of one stream event into `acc`; returns the text it adds. "[DONE]" sets
/// acc.done. An {"error": ...} event throws answer_error, retryable.
std::string apply_event(std::string_view data, completion& acc);

/// /v1/embeddings' answer, its vectors in input order.
embeddings read_embeddings(const boost::json::value& answer);

/// The model ids of /v1/models.
std::vector<std::string> read_models(const boost::json::value& answer);

} // namespace gleitzeit::provider_llm_detail::openai
