#include "jsonrpc.hpp"

#include <boost/json/parse.hpp>

#include <utility>

namespace gleitzeit::provider_mcp_detail::jsonrpc {

namespace json = boost::json;

json::object request(std::int64_t id, std::string_view method,
                     std::optional<json::object> params) {
    json::object o{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
    if (params)
        o.emplace("params", std::move(*params));
    return o;
}

json::object notification(std::string_view method, std::optional<json::object> params) {
    json::object o{{"jsonrpc", "2.0"}, {"method", method}};
    if (params)
        o.emplace("params", std::move(*params));
    return o;
}

json::object result(const json::value& id, json::object result) {
    return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

json::object error(const json::value& id, std::int64_t code, std::string_view message) {
    return {{"jsonrpc", "2.0"},
            {"id", id},
            {"error", json::object{{"code", code}, {"message", message}}}};
}

namespace {

bool valid_id(const json::value& id) {
    return id.is_string() || id.is_int64() || id.is_uint64();
}

std::optional<message> read_error(const json::object& o, message m, std::string& why) {
    const json::object* e = o.at("error").if_object();
    if (!e) {
        why = "'error' is not an object";
        return std::nullopt;
    }
    const json::value* code = e->if_contains("code");
    const json::value* text = e->if_contains("message");
    if (!code || !code->is_int64()) {
        why = "'error.code' is not an integer";
        return std::nullopt;
    }
    if (!text || !text->is_string()) {
        why = "'error.message' is not a string";
        return std::nullopt;
    }
    m.kind = kind::error;
    m.error_code = code->get_int64();
    m.error_message = std::string(text->get_string());
    if (const json::value* data = e->if_contains("data"))
        m.error_data = *data;
    return m;
}

} // namespace

std::optional<message> read(const json::value& v, std::string& why) {
    const json::object* o = v.if_object();
    if (!o) {
        why = "not a JSON object";
        return std::nullopt;
    }
    const json::value* version = o->if_contains("jsonrpc");
    if (!version || !version->is_string() || version->get_string() != "2.0") {
        why = "'jsonrpc' is not \"2.0\"";
        return std::nullopt;
    }
    message m;
    const json::value* id = o->if_contains("id");
    if (const json::value* method = o->if_contains("method")) {
        if (!method->is_string()) {
            why = "'method' is not a string";
            return std::nullopt;
        }
        m.method = std::string(method->get_string());
        if (const json::value* params = o->if_contains("params")) {
            if (!params->is_object()) {
                why = "'params' is not an object";
                return std::nullopt;
            }
            m.params = params->get_object();
        }
        if (id && !valid_id(*id)) {
            why = "'id' is not a string or an integer";
            return std::nullopt;
        }
        m.kind = id ? kind::request : kind::notification;
        if (id)
            m.id = *id;
        return m;
    }
    if (!id) {
        why = "neither a request, a notification nor a response (no 'method', no 'id')";
        return std::nullopt;
    }
    // An error about a request the server could not read carries a null id.
    if (!valid_id(*id) && !(id->is_null() && o->contains("error"))) {
        why = "'id' is not a string or an integer";
        return std::nullopt;
    }
    m.id = *id;
    if (const json::value* r = o->if_contains("result")) {
        if (o->contains("error")) {
            why = "both 'result' and 'error'";
            return std::nullopt;
        }
        m.kind = kind::result;
        m.result = *r;
        return m;
    }
    if (o->contains("error"))
        return read_error(*o, std::move(m), why);
    why = "a response with neither 'result' nor 'error'";
    return std::nullopt;
}

std::vector<message> parse(std::string_view text, std::string& why) {
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec) {
        why = "not JSON (" + ec.message() + ")";
        return {};
    }
    std::vector<message> out;
    if (json::array* batch = v.if_array()) {
        if (batch->empty()) {
            why = "an empty batch";
            return {};
        }
        for (std::size_t i = 0; i < batch->size(); ++i) {
            auto m = read((*batch)[i], why);
            if (!m) {
                why = "batch element " + std::to_string(i) + ": " + why;
                return {};
            }
            out.push_back(std::move(*m));
        }
        return out;
    }
    auto m = read(v, why);
    if (m)
        out.push_back(std::move(*m));
    return out;
}

std::optional<std::int64_t> integer_id(const json::value& id) {
    if (id.is_int64())
        return id.get_int64();
    return std::nullopt;
}

std::string describe_error(const message& m) {
    return std::to_string(m.error_code) + ": " + m.error_message;
}

} // namespace gleitzeit::provider_mcp_detail::jsonrpc
