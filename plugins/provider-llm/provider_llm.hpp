#pragma once
// provider-llm: llm/v1, large language models over HTTP, one instance per server. The
// backend is the Ollama API or the OpenAI-compatible API (llama.cpp's server, vLLM, LM
// Studio, OpenAI); several [[providers]] instances of this plugin are several providers of
// llm/v1, among which the hub spreads calls.
//
// Methods (schemas in llm_request.cpp; every one also takes model, else config
// default_model):
//   chat     {messages: [{role, content, images?}], temperature?, top_p?, max_tokens?, seed?,
//             stop?, format?: "json", json_schema?, file_path?}
//   generate {prompt, system?, and the options of chat}
//   vision   {prompt, system?, images?: [base64], image_data?: base64, image_path?, options}
//            (at least one image)
//            -> {response, content (the same text), model, usage: {prompt_tokens,
//                completion_tokens, total_tokens}, done_reason, json? (JSON mode, parsed)}
//   embed    {text | input: [string]} -> {embedding, embeddings, model, usage}
// file_path adds a text file to the prompt (after the prompt, or the last user message),
// image_path sends an image file base64-encoded: regular files only, at most max_file_bytes,
// under file_root when set (llm_files.hpp). Refused params and files fail the call with
// invalid_argument, not retryable; an unknown method with not_found.
//
// Streaming (config stream, default true): chat, generate and vision stream from the server
// and each piece of text is emitted as host.emit("task_progress", {task_id, text, index}),
// index counting from 0; the result holds the whole text. Errors and whether they are
// retryable: llm_errors.hpp.
//
// Health: every health_interval ms (and at start) GET /api/tags or /v1/models. While that or
// a call cannot connect, the instance is unhealthy: protocols() is empty and it emits
// protocols_changed, so the hub routes around it; when the server answers again, it serves
// llm/v1 again and emits protocols_changed. health_interval 0 turns this off (always healthy).
//
// Config (llm_config.hpp): backend, url, api_key_env (the key is only ever read from the
// environment; api_key in the config is refused), default_model, stream, connect_timeout,
// first_byte_timeout, call_timeout, health_interval, max_concurrency, max_file_bytes,
// max_body, file_root. Unknown keys are refused with error(invalid_argument).
//
// Threads. The plugin's state lives on the slot strand. HTTP runs on the instance's own io
// thread (provider_io::io_thread; files are read there too), whose callbacks only host.post()
// back to the strand: progress, outcomes, health. `done` runs on the strand, never inside
// execute() or cancel(), exactly once per call. stop() closes the HTTP client, joins the io
// thread, and then answers every open call with `cancelled` before it returns.
//
// Metrics: calls_total, running, healthy (0 or 1). Stateless across a hot swap: the old
// generation finishes its calls in flight, streams included.

#include "llm_config.hpp"
#include "llm_exchange.hpp"
#include "llm_request.hpp"

#include "http_client.hpp"
#include "io_thread.hpp"

#include "gleitzeit/provider.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gleitzeit {

class provider_llm : public provider {
public:
    /// Throws gleitzeit::error(invalid_argument) for a config it does not accept. The API
    /// key's variable is looked up with `env` (std::getenv unless a test passes its own).
    explicit provider_llm(const boost::json::object& config);
    provider_llm(const boost::json::object& config, const provider_llm_detail::env_lookup& env);
    ~provider_llm() override;

    void start(host& h) override;
    void stop() override;

    std::vector<protocol_spec> protocols() const override;
    std::size_t max_concurrency() const override { return config_.max_concurrency; }
    void execute(method_call call, done_fn done) override;
    void cancel(const std::string& task_id) override;

    bool healthy() const noexcept { return healthy_; }
    std::size_t running() const noexcept { return calls_.size(); }
    const provider_llm_detail::llm_config& config() const noexcept { return config_; }

private:
    struct open_call {
        std::string task_id;
        done_fn done;
        // Shared with the io thread's callbacks, which read it; replaced, never changed.
        std::shared_ptr<const provider_llm_detail::llm_request> request;
        std::chrono::milliseconds total{0};
        std::chrono::steady_clock::time_point started;
        std::optional<provider_io::http_client::call_id> http; // the request in flight
        provider_llm_detail::exchange_stage stage = provider_llm_detail::exchange_stage::main;
        std::size_t input = 0;        // legacy_embed: the input being embedded
        boost::json::array vectors;   // legacy_embed: the embeddings so far
        bool cancelled = false;
    };
    // Keyed by a serial: the hub may deliver a task again while an earlier delivery still
    // runs, and each gets its own done. cancel() looks calls up by task_id.
    using call_table = std::map<std::uint64_t, open_call>;

    // Calls (provider_llm.cpp, llm_calls.cpp).
    void read_files(std::uint64_t serial);
    void send(std::uint64_t serial);
    void on_progress(std::uint64_t serial, std::size_t index, const std::string& text);
    void on_outcome(std::uint64_t serial, provider_llm_detail::exchange_outcome outcome);
    void on_files_read(std::uint64_t serial, std::optional<task_error> failure,
                       provider_llm_detail::llm_request request);
    void post_failure(std::string task_id, done_fn done, task_error error);
    void deliver(std::uint64_t serial, std::optional<boost::json::object> result,
                 std::optional<task_error> error);
    static void run_done(open_call& c, task_result r);
    void publish_running();

    // Health (llm_health.cpp).
    void check_health();
    void on_health(bool ok, const std::string& why, const std::vector<std::string>& models);
    void set_health(bool ok, const std::string& why);

    /// Runs fn on the strand if this instance is still alive then; from any thread.
    void to_strand(std::function<void()> fn);

    provider_llm_detail::llm_config config_;
    host* host_ = nullptr;
    bool stopped_ = false;
    bool healthy_ = true;
    bool health_in_flight_ = false;
    bool model_warned_ = false;
    std::optional<host::timer_id> health_timer_;
    std::uint64_t next_serial_ = 0;
    std::uint64_t calls_total_ = 0;
    call_table calls_;
    // The io thread before the client: the client is destroyed first, the thread joined first.
    std::unique_ptr<provider_io::io_thread> io_;
    std::unique_ptr<provider_io::http_client> client_;
    // Posted functions hold it weakly: a host may still run them after this instance is
    // gone, and then they must not touch it.
    std::shared_ptr<const bool> alive_ = std::make_shared<const bool>(true);
};

} // namespace gleitzeit
