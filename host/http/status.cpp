#include "http/status.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <array>
#include <sstream>

namespace gleitzeit::http {
namespace {

constexpr std::array<const char*, sio::metrics::packet_types> type_names = {
    "open", "close", "ping", "pong", "message", "upgrade", "noop"};

std::string escape_label(const std::string& v) {
    std::string out;
    for (char c : v) {
        if (c == '\\' || c == '"')
            out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

} // namespace

std::string health_json(const status_info& info) {
    auto uptime = std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::steady_clock::now() - info.started);
    boost::json::object o{
        {"status", "ok"},
        {"version", info.version},
        {"uptime_s", uptime.count()},
        {"connections", info.stats->sessions_open.load()},
    };
    if (info.health_extra)
        for (auto& [k, v] : info.health_extra())
            o[k] = std::move(v);
    return boost::json::serialize(o);
}

std::string metrics_text(const status_info& info) {
    const auto& m = *info.stats;
    std::ostringstream out;
    out << "# HELP gleitzeit_connections Open Engine.IO sessions.\n"
           "# TYPE gleitzeit_connections gauge\n"
           "gleitzeit_connections "
        << m.sessions_open.load() << "\n"
        << "# HELP gleitzeit_tcp_connections Open TCP connections (HTTP and WebSocket).\n"
           "# TYPE gleitzeit_tcp_connections gauge\n"
           "gleitzeit_tcp_connections "
        << m.tcp_connections.load() << "\n"
        << "# HELP gleitzeit_sessions_total Engine.IO sessions opened since start.\n"
           "# TYPE gleitzeit_sessions_total counter\n"
           "gleitzeit_sessions_total "
        << m.sessions_total.load() << "\n"
        << "# HELP gleitzeit_packets_total Engine.IO packets by direction and type.\n"
           "# TYPE gleitzeit_packets_total counter\n";
    for (std::size_t i = 0; i < type_names.size(); ++i) {
        out << "gleitzeit_packets_total{direction=\"in\",type=\"" << type_names[i] << "\"} "
            << m.packets_in[i].load() << "\n";
        out << "gleitzeit_packets_total{direction=\"out\",type=\"" << type_names[i] << "\"} "
            << m.packets_out[i].load() << "\n";
    }
    out << "# HELP gleitzeit_bytes_total Engine.IO payload bytes by direction.\n"
           "# TYPE gleitzeit_bytes_total counter\n"
           "gleitzeit_bytes_total{direction=\"in\"} "
        << m.bytes_in.load() << "\n"
        << "gleitzeit_bytes_total{direction=\"out\"} " << m.bytes_out.load() << "\n"
        << "# HELP gleitzeit_sessions_closed_total Closed Engine.IO sessions by reason.\n"
           "# TYPE gleitzeit_sessions_closed_total counter\n";
    for (const auto& [reason, n] : m.closed.snapshot())
        out << "gleitzeit_sessions_closed_total{reason=\"" << escape_label(reason) << "\"} " << n
            << "\n";
    // Both reasons always, so that an alert on either has a series from the start.
    auto refused = m.refused.snapshot();
    out << "# HELP gleitzeit_http_refused_total HTTP requests refused for their Host or Origin "
           "header (docs/security.md).\n"
           "# TYPE gleitzeit_http_refused_total counter\n";
    for (const char* reason : {"host", "origin"})
        out << "gleitzeit_http_refused_total{reason=\"" << reason << "\"} " << refused[reason]
            << "\n";
    if (info.metrics_extra)
        out << info.metrics_extra();
    return out.str();
}

sio::http_handler status_handler(status_info info) {
    return [info](std::string_view method, std::string_view target) {
        auto path = target.substr(0, target.find('?'));
        sio::http_response r;
        if (path != "/health" && path != "/metrics") {
            r.status = 404;
            r.body = R"({"error":"not found"})";
            return r;
        }
        if (method != "GET" && method != "HEAD") {
            r.status = 405;
            r.body = R"({"error":"method not allowed"})";
            return r;
        }
        if (path == "/health") {
            r.body = health_json(info);
        } else {
            r.content_type = "text/plain; version=0.0.4";
            r.body = metrics_text(info);
        }
        return r;
    };
}

} // namespace gleitzeit::http
