// The parts of an HTTP request that gleitzeitd reads itself, after Beast has parsed the
// request: the Engine.IO query of the target (host/sio/server/query.hpp) and the Host and
// Origin checks (request_guard.hpp). Beast's own parser is not ours and is not fuzzed here.
//
// The input is five lines: the request target, Host, Origin, the allowed hosts and the
// allowed origins (both comma-separated), as http_connection hands them over.
//
// Invariants:
// - parse_query: the path is the target before '?'; a query written again from the parsed
//   values (percent-encoded) parses to the same values;
// - query_error is empty exactly for EIO=4 with a transport that fits the request, and
//   otherwise one of Engine.IO's JSON error bodies;
// - host_name is lowercase and the guard decides alike for any case of the headers;
// - a refusal names "host" or "origin", and its body is a JSON object with code 4 that
//   carries the refused value (the 403 goes out as application/json);
// - a listed name and the server's own origin always pass.

#include "sio/server/query.hpp"
#include "sio/server/request_guard.hpp"

#include "fuzz_check.hpp"

#include <boost/json/parse.hpp>

#include <cctype>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace sio = gleitzeit::sio;
namespace engine = gleitzeit::sio::engine;
namespace json = boost::json;

std::string percent_encoded(std::string_view s) {
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

void check_query(std::string_view target) {
    auto q = engine::parse_query(target);
    FUZZ_CHECK(target.starts_with(q.path));
    FUZZ_CHECK(q.path.find('?') == std::string_view::npos);

    std::string again(q.path);
    char sep = '?';
    auto add = [&](const char* key, const std::optional<std::string>& v) {
        if (v)
            again += sep + std::string(key) + "=" + percent_encoded(*v), sep = '&';
    };
    add("EIO", q.eio);
    add("transport", q.transport);
    add("sid", q.sid);
    auto r = engine::parse_query(again);
    FUZZ_CHECK(r.path == q.path && r.eio == q.eio && r.transport == q.transport && r.sid == q.sid);

    for (bool websocket : {false, true}) {
        auto error = engine::query_error(q, websocket);
        bool fine = q.eio == "4" && q.transport == (websocket ? "websocket" : "polling");
        FUZZ_CHECK(error.empty() == fine);
        if (!fine) {
            boost::system::error_code ec;
            auto body = json::parse(error, ec);
            FUZZ_CHECK(!ec && body.is_object() && body.as_object().contains("code"));
        }
    }
}

std::vector<std::string> list_of(std::string_view line) {
    std::vector<std::string> out;
    while (!line.empty()) {
        auto comma = line.find(',');
        out.emplace_back(line.substr(0, comma));
        line = comma == std::string_view::npos ? std::string_view{} : line.substr(comma + 1);
    }
    return out;
}

std::string upper(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

void check_refusal(const sio::request_guard::refusal& no, std::string_view value) {
    FUZZ_CHECK(no.reason == "host" || no.reason == "origin");
    boost::system::error_code ec;
    auto body = json::parse(no.body, ec);
    FUZZ_CHECK(!ec && body.is_object());
    const auto& o = body.as_object();
    FUZZ_CHECK(o.contains("code") && o.at("code") == 4);
    FUZZ_CHECK(o.contains("message") && o.at("message").is_string());
    // The value is quoted with its quotes and backslashes intact, control characters as '?'.
    // Only an ASCII value is looked for: a fix may write other bytes in more than one way.
    std::string shown;
    for (char c : value) {
        if (static_cast<unsigned char>(c) >= 0x80)
            return;
        shown += static_cast<unsigned char>(c) < 0x20 ? '?' : c;
    }
    auto message = o.at("message").as_string();
    FUZZ_CHECK(std::string_view(message.data(), message.size()).find(shown) !=
               std::string_view::npos);
}

void check_guard(std::string_view host, std::string_view origin, const sio::request_guard& g) {
    auto name = sio::host_name(host);
    for (char c : name)
        FUZZ_CHECK(!(c >= 'A' && c <= 'Z'));

    auto no = g.check(host, origin);
    if (no)
        check_refusal(*no, no->reason == "host" ? host : origin);
    // Case does not matter to either check.
    auto shouted = g.check(upper(host), upper(origin));
    FUZZ_CHECK(shouted.has_value() == no.has_value());
    FUZZ_CHECK(!no || shouted->reason == no->reason);
    // Once the host is let in, the server's own origin always passes (a Host ending in '/'
    // has no origin of that form: Origin is compared without trailing slashes).
    if (!host.empty() && !host.ends_with('/') && !(no && no->reason == "host")) {
        FUZZ_CHECK(!g.check(host, "http://" + std::string(host)));
        FUZZ_CHECK(!g.check(host, "https://" + std::string(host) + "/"));
    }
    sio::request_guard open{{"*"}, {"*"}};
    FUZZ_CHECK(!open.check(host, origin));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    auto f = gleitzeit::fuzz::fields(input, 5);
    try {
        check_query(f[0]);
        sio::request_guard g{list_of(f[3]), list_of(f[4])};
        check_guard(f[1], f[2], g);
    } catch (...) {
        gleitzeit::fuzz::escaped("the HTTP request checks");
    }
    return 0;
}
