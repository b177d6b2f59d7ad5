#include "provider_mcp.hpp"

#include "mcp_client.hpp"

#include "io_thread.hpp"

#include <boost/asio/post.hpp>

#include <utility>

namespace gleitzeit {

namespace json = boost::json;
namespace asio = boost::asio;
using namespace provider_mcp_detail;

provider_mcp::provider_mcp(const json::object& config) : config_(read_config(config)) {}

provider_mcp::~provider_mcp() { stop(); }

host_bridge provider_mcp::bridge() {
    // The io thread reaches the host only through post(): the host's services belong to the
    // slot strand. `h` is valid until stop() returns, and stop() joins the io thread first.
    host* h = host_;
    std::weak_ptr<const bool> alive = alive_;
    host_bridge b;
    b.log = [h, alive](log_level level, std::string message) {
        h->post([h, alive, level, message = std::move(message)] {
            if (!alive.expired())
                h->log(level, message);
        });
    };
    b.emit = [h, alive](std::string event, json::object payload) {
        h->post([h, alive, event = std::move(event), payload = std::move(payload)]() mutable {
            if (!alive.expired())
                h->emit(event, std::move(payload));
        });
    };
    b.metric = [h, alive](std::string name, double value) {
        h->post([h, alive, name = std::move(name), value] {
            if (!alive.expired())
                h->metric(name, value);
        });
    };
    return b;
}

void provider_mcp::start(host& h) {
    host_ = &h;
    host_->metric("calls_total", 0);
    host_->metric("running", 0);
    io_ = std::make_unique<provider_io::io_thread>();
    client_ = std::make_shared<mcp_client>(io_->context(), config_, bridge());
    asio::post(io_->context(), [client = client_] { client->start(); });
    host_->log(log_level::info, std::string("serving ") + protocol_id + " from " +
                                    std::to_string(config_.servers.size()) +
                                    " MCP server(s) with max_concurrency " +
                                    std::to_string(config_.max_concurrency));
}

void provider_mcp::stop() {
    if (stopped_)
        return;
    stopped_ = true;
    if (io_) {
        // Open calls get `cancelled` and the children are killed on the io thread; stop()
        // then lets every handler still queued run (the children's exits, the cancelled HTTP
        // requests) and joins, so nothing of this library runs after we return.
        asio::post(io_->context(), [client = client_] { client->stop(); });
        io_->stop();
    }
    client_.reset();
    io_.reset();
    host_ = nullptr;
}

std::vector<protocol_spec> provider_mcp::protocols() const {
    return client_ ? client_->protocols() : std::vector<protocol_spec>{};
}

void provider_mcp::execute(method_call call, done_fn done) {
    if (stopped_ || !client_) {
        // No io thread to answer later: the one answer given inside execute().
        task_result r;
        r.task_id = call.task_id;
        r.provider = plugin_name;
        r.error = stopped_ ? task_error{error_code::cancelled, "provider-mcp is stopped", false}
                           : task_error{error_code::plugin_error, "provider-mcp is not started",
                                        false};
        done(std::move(r));
        return;
    }
    asio::post(io_->context(), [client = client_, call = std::move(call),
                                done = std::move(done)]() mutable {
        client->execute(std::move(call), std::move(done));
    });
}

void provider_mcp::cancel(const std::string& task_id) {
    if (stopped_ || !client_)
        return;
    asio::post(io_->context(), [client = client_, task_id] { client->cancel(task_id); });
}

} // namespace gleitzeit
