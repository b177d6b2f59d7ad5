#pragma once
// The protocol llm/v1 as data: its spec (the schemas the registry checks a task's params
// against at submit) and a call's params read into an llm_request, the one shape both
// backends' request builders take. provider-llm checks params itself too, because a call can
// reach it without passing a registry (a remote registry, or a spec that allows more).
//
// Every refusal throws gleitzeit::error(invalid_argument, "<method>: params.<name> ..."); the
// provider fails the call with it, not retryable: the same params fail the same way again.

#include "gleitzeit/types.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gleitzeit::provider_llm_detail {

enum class llm_method { chat, generate, vision, embed };

std::string_view to_string(llm_method m) noexcept;

struct chat_message {
    std::string role; // system, user, assistant or tool
    std::string content;
    std::vector<std::string> images; // base64
};

/// Sampling and output options; absent ones are left to the backend's defaults.
struct llm_options {
    std::optional<double> temperature;
    std::optional<std::int64_t> max_tokens;
    std::optional<double> top_p;
    std::optional<std::int64_t> seed;
    std::vector<std::string> stop;
    bool json = false;                              // format = "json": JSON mode
    std::optional<boost::json::object> json_schema; // structured output against a schema
};

struct llm_request {
    llm_method method = llm_method::chat;
    std::string model;
    std::vector<chat_message> messages; // chat
    std::string prompt;                 // generate, vision
    std::string system;                 // generate, vision
    std::vector<std::string> images;    // vision: base64, without a data: prefix
    std::vector<std::string> inputs;    // embed: text (one) or input (several)
    llm_options options;
    std::string file_path;  // a text file whose content is added to the prompt
    std::string image_path; // vision: an image file, sent base64-encoded
};

/// llm/v1 with chat, generate, vision and embed and their parameter schemas.
protocol_spec llm_spec();

/// A call's params as an llm_request. `default_model` is used when params has no model; with
/// neither, the call is refused. File paths are kept, not read (files.hpp reads them).
llm_request read_request(std::string_view method, const boost::json::object& params,
                         const std::string& default_model);

/// Adds a text file's content to the prompt: after the prompt (generate, vision) or after the
/// content of the last user message (chat; a new user message if there is none).
void add_file_text(llm_request& r, const std::string& file_name, const std::string& text);

} // namespace gleitzeit::provider_llm_detail
