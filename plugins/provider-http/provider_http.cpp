#include "provider_http.hpp"

#include "http_redirect.hpp"
#include "http_result.hpp"

#include "each_call.hpp"
#include "http_client.hpp"
#include "http_url.hpp"
#include "io_thread.hpp"

#include "gleitzeit/error.hpp"

#include <algorithm>
#include <utility>

namespace gleitzeit {

namespace json = boost::json;
using namespace provider_http_detail;
using provider_io::http_error;
using provider_io::http_response;

namespace {

// A connection that takes longer than this is not coming, whatever the call's timeout.
constexpr std::chrono::milliseconds max_connect_time{10000};

task_error refusal(std::string message) {
    return {error_code::provider_error, std::move(message), false};
}

} // namespace

provider_http::provider_http(const json::object& config) : config_(read_config(config)) {}

provider_http::~provider_http() {
    // stop() did this when the host called it; a test may destroy a started instance.
    if (client_)
        client_->close();
    if (io_)
        io_->stop();
}

void provider_http::start(host& h) {
    host_ = &h;
    provider_io::tls_options tls;
    tls.ca_file = config_.ca_file;
    io_ = std::make_unique<provider_io::io_thread>();
    client_ = std::make_unique<provider_io::http_client>(io_->context(), tls);
    host_->metric("calls_total", 0);
    host_->metric("running", 0);
    host_->metric("redirects_total", 0);
    host_->log(log_level::info, std::string("serving ") + protocol_id + " with max_concurrency " +
                                    std::to_string(config_.max_concurrency));
    if (config_.allow->empty())
        host_->log(log_level::warn, "the allow list is empty: every request will be refused");
}

void provider_http::stop() {
    if (stopped_)
        return;
    stopped_ = true;
    // Taken out first: a done that calls execute() again must not find these calls open.
    call_table open;
    open.swap(calls_);
    // After the join no completion of the client runs, and none touches this instance.
    if (client_)
        client_->close();
    if (io_)
        io_->stop();
    client_.reset();
    io_.reset();
    if (host_)
        host_->metric("running", 0);
    host_ = nullptr;
    provider_io::end_each(open, [this](auto& kv) {
        task_result r;
        r.task_id = kv.first;
        r.provider = plugin_name;
        if (kv.second.ready)
            r = std::move(*kv.second.ready);
        else
            r.error = task_error{error_code::cancelled, "cancelled: provider-http is stopping", false};
        run_done(kv.second, std::move(r));
    });
}

std::vector<protocol_spec> provider_http::protocols() const {
    return {http_spec()};
}

void provider_http::execute(method_call call, done_fn done) {
    const auto started = clock::now();
    if (stopped_ || !host_) {
        // Nothing posted now would run (the host drops posts after stop), so answer at once.
        task_result r;
        r.task_id = call.task_id;
        r.provider = plugin_name;
        r.error = stopped_ ? task_error{error_code::cancelled, "provider-http is stopped", false}
                           : task_error{error_code::plugin_error, "provider-http is not started", false};
        done(std::move(r));
        return;
    }
    ++calls_total_;
    host_->metric("calls_total", static_cast<double>(calls_total_));
    request_params params;
    try {
        if (call.protocol != protocol_id)
            throw error(error_code::not_found,
                        "provider-http does not serve protocol '" + call.protocol + "'");
        if (call.method != "request")
            throw error(error_code::not_found,
                        std::string(protocol_id) + " has no method '" + call.method + "'");
        params = read_request(call.params, config_);
    } catch (const error& e) {
        // Bad params fail the same way on every attempt.
        return open_refused(call.task_id, std::move(done), {e.code(), e.what(), false}, started);
    }
    std::string why;
    const auto url = provider_io::parse_http_url(params.first.url, why);
    if (!url)
        return open_refused(call.task_id, std::move(done),
                            {error_code::invalid_argument,
                             "request: params.url: " + why, false},
                            started);
    if (!config_.allow->allows(url->host, url->port))
        return open_refused(call.task_id, std::move(done),
                            refusal(without_query(url->text()) + " is not on the allow list"),
                            started);
    open_call c;
    c.serial = ++next_serial_;
    c.done = std::move(done);
    c.started = started;
    c.deadline = started + params.timeout;
    c.timeout = params.timeout;
    c.current = std::move(params.first);
    auto it = calls_.emplace(call.task_id, std::move(c));
    publish_running();
    send(it);
}

void provider_http::cancel(const std::string& task_id) {
    if (stopped_ || !host_)
        return;
    auto [first, last] = calls_.equal_range(task_id);
    for (auto it = first; it != last; ++it) {
        open_call& c = it->second;
        // A refused call has its result; only its delivery is pending.
        if (c.ready || c.cancelled)
            continue;
        c.cancelled = true;
        // Its completion comes back through on_response, which delivers `cancelled`.
        client_->cancel(c.client_call);
    }
}

void provider_http::open_refused(const std::string& task_id, done_fn done, task_error error,
                                 clock::time_point started) {
    const std::uint64_t serial = ++next_serial_;
    task_result r;
    r.task_id = task_id;
    r.provider = plugin_name;
    r.error = std::move(error);
    open_call c;
    c.serial = serial;
    c.done = std::move(done);
    c.started = started;
    c.ready = std::move(r);
    calls_.emplace(task_id, std::move(c));
    publish_running();
    host_->post([this, alive = std::weak_ptr<const bool>(alive_), task_id, serial] {
        if (alive.expired())
            return;
        // Gone already when stop() delivered it.
        if (auto found = find(task_id, serial); found != calls_.end()) {
            task_result result = std::move(*found->second.ready);
            deliver(found, std::move(result));
        }
    });
}

void provider_http::send(call_table::iterator it) {
    open_call& c = it->second;
    const auto left = std::max(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   c.deadline - clock::now()),
                               std::chrono::milliseconds(1));
    provider_io::http_request req;
    req.method = c.current.method;
    req.url = c.current.url;
    req.headers = c.current.headers;
    req.body = c.current.body;
    req.connect_timeout = std::min(left, max_connect_time);
    req.first_byte_timeout = left;
    req.total_timeout = left;
    req.max_body = config_.max_body;
    std::string why;
    const std::string host = provider_io::parse_http_url(c.current.url, why)->host;
    req.check_address = [allow = config_.allow, host](const std::string& address,
                                                      std::uint16_t port) {
        return allow->check_address(host, address, port);
    };
    // The completion runs on the io thread; it goes back to the strand for the call's state.
    c.client_call = client_->request(
        std::move(req), nullptr,
        [h = host_, alive = std::weak_ptr<const bool>(alive_), this, task_id = it->first,
         serial = c.serial](std::optional<http_error> e, http_response r) {
            h->post([alive, this, task_id, serial, e = std::move(e), r = std::move(r)]() mutable {
                if (!alive.expired())
                    on_response(task_id, serial, e, r);
            });
        });
}

void provider_http::on_response(const std::string& task_id, std::uint64_t serial,
                                const std::optional<http_error>& error, http_response& response) {
    auto it = find(task_id, serial);
    if (it == calls_.end())
        return; // delivered by stop()
    open_call& c = it->second;
    task_result r;
    r.task_id = task_id;
    r.provider = plugin_name;
    if (c.cancelled)
        r.error = task_error{error_code::cancelled, "cancelled", false};
    else if (error && (error->kind == provider_io::http_failure::first_byte_timeout ||
                       error->kind == provider_io::http_failure::total_timeout))
        // The client saw only what was left of the call's time; the caller set the whole.
        r.error = task_error{error_code::timeout,
                             c.current.method + " " + without_query(c.current.url) +
                                 " not finished within the timeout of " +
                                 std::to_string(c.timeout.count()) + " ms",
                             true};
    else if (error)
        r.error = failure_error(*error);
    else if (is_redirect(response.status) && config_.max_redirects > 0 &&
             response.header("location")) {
        task_error refused;
        if (follow(c, response, refused))
            return send(it);
        r.error = std::move(refused);
    } else {
        r = outcome(c, response);
    }
    deliver(it, std::move(r));
}

task_result provider_http::outcome(open_call& c, http_response& response) {
    task_result r;
    if (response.status >= 200 && response.status < 300)
        r.result = shape_result(response, c.current.url);
    else
        r.error = status_error(response, c.current.method, c.current.url);
    return r;
}

bool provider_http::follow(open_call& c, const http_response& response, task_error& error) {
    const std::string& location = *response.header("location");
    if (c.redirects >= config_.max_redirects) {
        error = refusal("too many redirects: more than max_redirects (" +
                        std::to_string(config_.max_redirects) + ") from " +
                        without_query(c.current.url));
        return false;
    }
    const auto next = resolve_location(c.current.url, location);
    std::string why;
    const auto url = next ? provider_io::parse_http_url(*next, why) : std::nullopt;
    if (!url) {
        error = refusal("redirect from " + without_query(c.current.url) +
                        " to a bad URL: " + (next ? why : "bad base URL"));
        return false;
    }
    if (!config_.allow->allows(url->host, url->port)) {
        error = refusal("redirect from " + without_query(c.current.url) + " to " +
                        without_query(url->text()) + " refused: not on the allow list");
        return false;
    }
    c.current = next_hop(c.current, response.status, url->text());
    ++c.redirects;
    host_->metric("redirects_total", static_cast<double>(++redirects_total_));
    return true;
}

provider_http::call_table::iterator provider_http::find(const std::string& task_id,
                                                        std::uint64_t serial) {
    auto [first, last] = calls_.equal_range(task_id);
    for (auto it = first; it != last; ++it)
        if (it->second.serial == serial)
            return it;
    return calls_.end();
}

void provider_http::deliver(call_table::iterator it, task_result result) {
    result.task_id = it->first;
    result.provider = plugin_name;
    open_call c = std::move(it->second);
    calls_.erase(it);
    publish_running();
    run_done(c, std::move(result));
}

void provider_http::run_done(open_call& c, task_result result) {
    result.duration_ms =
        std::chrono::duration<double, std::milli>(clock::now() - c.started).count();
    done_fn done = std::move(c.done);
    done(std::move(result));
}

void provider_http::publish_running() {
    if (host_)
        host_->metric("running", static_cast<double>(calls_.size()));
}

} // namespace gleitzeit
