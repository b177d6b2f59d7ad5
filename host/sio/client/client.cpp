// The client's public face: the URL it connects to, the namespace handles, and the calls
// that hop onto the client's strand. The state behind them is client_state.hpp.
#include "sio/client/client.hpp"

#include "sio/client/client_state.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>

#include <stdexcept>

namespace gleitzeit::sio {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

client_target parse_url(const std::string& url, const std::string& path) {
    auto rest = std::string_view(url);
    for (std::string_view scheme : {"http://", "ws://"})
        if (rest.starts_with(scheme))
            rest.remove_prefix(scheme.size());
    if (rest.size() == url.size() && url.find("://") != std::string::npos)
        throw std::invalid_argument("sio::client: only http:// and ws:// URLs are supported, got " +
                                    url);
    rest = rest.substr(0, rest.find('/'));
    auto colon = rest.rfind(':');
    client_target t;
    t.host = std::string(rest.substr(0, colon));
    t.port = colon == std::string_view::npos ? "80" : std::string(rest.substr(colon + 1));
    t.path = path.ends_with('/') ? path : path + "/";
    if (t.host.empty())
        throw std::invalid_argument("sio::client: no host in " + url);
    return t;
}

} // namespace

// --- namespace_handle ---

std::string namespace_handle::id() const {
    std::lock_guard lock(state_->mutex);
    return state_->spaces.at(nsp_).id;
}

bool namespace_handle::connected() const {
    std::lock_guard lock(state_->mutex);
    return state_->spaces.at(nsp_).connected;
}

void namespace_handle::on(std::string event, event_handler handler) {
    asio::dispatch(state_->strand, [st = state_->shared_from_this(), nsp = nsp_,
                                    event = std::move(event), h = std::move(handler)]() mutable {
        if (auto* s = st->find(nsp))
            s->handlers[std::move(event)] = std::move(h);
    });
}

void namespace_handle::on_any(any_handler handler) {
    asio::dispatch(state_->strand,
                   [st = state_->shared_from_this(), nsp = nsp_, h = std::move(handler)]() mutable {
                       if (auto* s = st->find(nsp))
                           s->any = std::move(h);
                   });
}

void namespace_handle::emit(std::string event, message m) {
    asio::dispatch(state_->strand, [st = state_->shared_from_this(), nsp = nsp_,
                                    event = std::move(event), m = std::move(m)]() mutable {
        st->emit(nsp, event, std::move(m), std::nullopt, nullptr);
    });
}

void namespace_handle::emit(std::string event, message m, std::chrono::milliseconds timeout,
                            reply_handler on_reply) {
    asio::dispatch(state_->strand,
                   [st = state_->shared_from_this(), nsp = nsp_, event = std::move(event),
                    m = std::move(m), timeout, h = std::move(on_reply)]() mutable {
                       st->emit(nsp, event, std::move(m), timeout, std::move(h));
                   });
}

void namespace_handle::disconnect() {
    asio::dispatch(state_->strand, [st = state_->shared_from_this(), nsp = nsp_] {
        auto* s = st->find(nsp);
        if (!s)
            return;
        bool was = s->connected;
        {
            std::lock_guard lock(st->mutex);
            s->wanted = false;
            s->connected = false;
            s->id.clear();
        }
        if (!was)
            return;
        st->send_disconnect(nsp);
        st->report({client_event::kind::disconnect, nsp, "io client disconnect", 0, {}, {}});
    });
}

// --- client ---

client::client(asio::io_context& ioc, std::string url, client_options opts) {
    auto target = parse_url(url, opts.path);
    state_ = std::make_shared<client_state>(ioc, std::move(target), std::move(opts));
}

client::~client() {
    asio::dispatch(state_->strand, [st = state_] { st->close(); });
}

namespace_handle& client::of(const std::string& nsp, json::value auth) {
    std::unique_lock lock(state_->mutex);
    auto [it, added] = state_->spaces.try_emplace(nsp);
    auto& s = it->second;
    if (added) {
        s.auth = std::move(auth);
        s.handle.reset(new namespace_handle(state_.get(), nsp));
        lock.unlock();
        // Joined at once when the connection is already open; else on open.
        asio::dispatch(state_->strand, [st = state_, nsp] {
            auto* sp = st->find(nsp);
            if (st->engine_open && sp && !sp->connected)
                st->send_connect(nsp, *sp);
        });
    }
    return *s.handle;
}

void client::on_status(std::function<void(const client_event&)> handler) {
    asio::dispatch(state_->strand,
                   [st = state_, h = std::move(handler)]() mutable { st->status = std::move(h); });
}

void client::open() {
    asio::dispatch(state_->strand, [st = state_] {
        st->closing = false;
        st->open();
    });
}

void client::close() {
    asio::dispatch(state_->strand, [st = state_] { st->close(); });
}

} // namespace gleitzeit::sio
