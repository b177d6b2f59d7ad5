#include "sio/server/query.hpp"

namespace gleitzeit::sio::engine {
namespace {

int hex(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

std::string percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
            out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
            i += 2;
        } else if (s[i] == '+') {
            out += ' ';
        } else {
            out += s[i];
        }
    }
    return out;
}

} // namespace

request_query parse_query(std::string_view target) {
    request_query q;
    auto qm = target.find('?');
    q.path = target.substr(0, qm);
    if (qm == std::string_view::npos)
        return q;
    auto rest = target.substr(qm + 1);
    while (!rest.empty()) {
        auto amp = rest.find('&');
        auto pair = rest.substr(0, amp);
        rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
        auto eq = pair.find('=');
        auto key = pair.substr(0, eq);
        auto value =
            eq == std::string_view::npos ? std::string{} : percent_decode(pair.substr(eq + 1));
        if (key == "EIO")
            q.eio = std::move(value);
        else if (key == "transport")
            q.transport = std::move(value);
        else if (key == "sid")
            q.sid = std::move(value);
    }
    return q;
}

std::string query_error(const request_query& q, bool websocket) {
    if (!q.eio || *q.eio != "4")
        return R"({"code":5,"message":"Unsupported protocol version"})";
    if (!q.transport || (*q.transport != "polling" && *q.transport != "websocket"))
        return R"({"code":0,"message":"Transport unknown"})";
    if (websocket != (*q.transport == "websocket"))
        return R"({"code":3,"message":"Bad request"})";
    return {};
}

} // namespace gleitzeit::sio::engine
