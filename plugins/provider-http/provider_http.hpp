#pragma once
// provider-http: the provider of http/v1, calling HTTP APIs on the hosts its allow list names.
//
// Method (schema in http_params.cpp):
//   request {"url": "http(s)://...",            -> {"status": 200, "url": final URL,
//            "method": "GET"|"POST"|"PUT"|          "headers": {lower-case name: value},
//                      "PATCH"|"DELETE"|"HEAD",     "json": parsed body, when the response
//            "headers": {name: string},              is application/json (or +json);
//            "query": {name: value | [values]},      else "body": text (UTF-8);
//            "json": any | "body": string,           else "body_base64"}
//            "timeout": seconds}
// Errors (task_error):
//   invalid_argument, not retryable: bad params ("request: params.method must be one of ...")
//   provider_error, not retryable: host not on the allow list ("<url> is not on the allow
//     list"), a redirect out of it, too many redirects, a refused address, a bad URL, a body
//     over max_body ("... response body over max_body (N bytes)"), a TLS certificate failure
//   provider_error: a status outside 2xx, "HTTP 503 Service Unavailable from GET <url>: ...",
//     retryable for 5xx, 408 and 429; connection failures, retryable
//   timeout, retryable: no connection, no response, or not finished within the timeout
//   cancelled, not retryable: cancel() or stop()
//
// Config (the [[providers]] entry's config table; http_config.hpp reads it):
//   allow            array of "host", "host:port", "*.domain", "*" (allow_list.hpp); default
//                    empty: nothing is allowed
//   max_redirects    0..20, default 5        max_body   bytes, default 10 MiB
//   max_concurrency  1..10000, default 32    timeout    seconds, default 30
//   user_agent       default "gleitzeit-provider-http/1.0"
//   ca_file          PEM bundle trusted besides the system store
// Any other key, or a bad value, is refused in the constructor with
// gleitzeit::error(invalid_argument, "provider-http: <key> ...").
//
// Threads. The HTTP client runs on an io_thread of this instance (provider_io/io_thread.hpp
// says why not the hub's). Its completions come back to the slot strand with host::post(),
// and all state of the calls lives there: execute, cancel, stop and the completions never run
// at once, so there are no locks. The allow list is immutable and shared with the io thread's
// address checks.
//
// When `done` runs. Never inside execute() or cancel(): a refused call is delivered through
// host::post(), a request when its response (after redirects) is in. cancel() cancels the HTTP
// call; its done follows with `cancelled`. stop() closes the client, stops the io thread and
// delivers every open call synchronously (the host drops what is posted after stop): calls
// still running get `cancelled`. Each call's done runs exactly once, with task_id set and
// provider "provider-http".
//
// Metrics: calls_total, running, redirects_total. Stateless: a hot swap starts the new
// generation empty while the old one finishes its calls.

#include "http_config.hpp"
#include "http_params.hpp"

#include "gleitzeit/provider.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace gleitzeit::provider_io {
class io_thread;
class http_client;
struct http_error;
struct http_response;
} // namespace gleitzeit::provider_io

namespace gleitzeit {

class provider_http : public provider {
public:
    /// Throws gleitzeit::error(invalid_argument) for a config it does not accept.
    explicit provider_http(const boost::json::object& config);
    ~provider_http() override;

    void start(host& h) override;
    void stop() override;

    std::vector<protocol_spec> protocols() const override;
    std::size_t max_concurrency() const override { return config_.max_concurrency; }
    void execute(method_call call, done_fn done) override;
    void cancel(const std::string& task_id) override;

    /// Calls whose done has not run yet.
    std::size_t running() const noexcept { return calls_.size(); }

private:
    using clock = std::chrono::steady_clock;

    struct open_call {
        std::uint64_t serial; // tells apart two deliveries of one task_id (at least once)
        done_fn done;
        clock::time_point started;
        clock::time_point deadline;
        std::chrono::milliseconds timeout{0}; // the whole call's, redirects included
        provider_http_detail::hop current;
        unsigned redirects = 0;
        std::uint64_t client_call = 0;
        bool cancelled = false;
        std::optional<task_result> ready; // a refused call: its result, waiting for delivery
    };
    using call_table = std::unordered_multimap<std::string, open_call>;

    /// Opens a call that failed before sending anything, and posts its delivery.
    void open_refused(const std::string& task_id, done_fn done, task_error error,
                      clock::time_point started);
    void send(call_table::iterator it);
    void on_response(const std::string& task_id, std::uint64_t serial,
                     const std::optional<provider_io::http_error>& error,
                     provider_io::http_response& response);
    /// The result after a response that is not a redirect to follow, or a failure.
    task_result outcome(open_call& c, provider_io::http_response& response);
    /// Follows a redirect; false (with `error` set) when it may not be followed.
    bool follow(open_call& c, const provider_io::http_response& response, task_error& error);
    call_table::iterator find(const std::string& task_id, std::uint64_t serial);
    void deliver(call_table::iterator it, task_result result);
    static void run_done(open_call& c, task_result result);
    void publish_running();

    provider_http_detail::http_config config_;
    host* host_ = nullptr;
    bool stopped_ = false;
    std::uint64_t next_serial_ = 0;
    std::uint64_t calls_total_ = 0;
    std::uint64_t redirects_total_ = 0;
    call_table calls_;
    // The client before the thread in destruction order: the client's last close is queued
    // to the thread's io_context, which must still exist.
    std::unique_ptr<provider_io::io_thread> io_;
    std::unique_ptr<provider_io::http_client> client_;
    // Posted completions hold it weakly: the host may run them after this instance is gone.
    std::shared_ptr<const bool> alive_ = std::make_shared<const bool>(true);
};

} // namespace gleitzeit
