#include "python_protocol.hpp"

#include "script_paths.hpp"

#include "gleitzeit/error.hpp"
#include "json_reading.hpp"

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <regex>
#include <string_view>

namespace gleitzeit::provider_python_detail {

namespace json = boost::json;

namespace {

constexpr double max_timeout_seconds = 86400;
constexpr const char* function_pattern =
    "^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$";

[[noreturn]] void refuse(std::string_view method, const std::string& message) {
    throw error(error_code::invalid_argument, std::string(method) + ": " + message);
}

json::object schema(std::string_view type, std::string_view description) {
    return {{"type", type}, {"description", description}};
}

json::object timeout_schema() {
    json::object s = schema("number", "seconds the call may run on its worker; the worker is killed "
                                      "after. Default: the task's timeout");
    s["minimum"] = 0.001;
    s["maximum"] = max_timeout_seconds;
    return s;
}

// The schema's checks again, for calls that did not pass a registry.
void refuse_unknown(const json::object& params, std::string_view method,
                    std::initializer_list<std::string_view> known) {
    for (const auto& kv : params)
        if (std::find(known.begin(), known.end(), kv.key()) == known.end())
            refuse(method, "unknown param '" + std::string(kv.key()) + "'");
}

const json::value* typed(const json::object& params, std::string_view method,
                         std::string_view name, json::kind kind, const char* expected) {
    const json::value* v = params.if_contains(name);
    if (v && v->kind() != kind)
        refuse(method, "params." + std::string(name) + " must be " + expected + ", got " +
                           json_reading::kind_of(*v));
    return v;
}

std::optional<std::chrono::milliseconds> read_timeout(const json::object& params,
                                                      std::string_view method,
                                                      std::chrono::milliseconds hub_timeout) {
    std::optional<std::chrono::milliseconds> out;
    if (hub_timeout.count() > 0)
        out = hub_timeout;
    const json::value* t = params.if_contains("timeout");
    if (!t)
        return out;
    if (!t->is_number())
        refuse(method, std::string("params.timeout must be a number of seconds, got ") + json_reading::kind_of(*t));
    double seconds = t->to_number<double>();
    if (!(seconds >= 0.001 && seconds <= max_timeout_seconds))
        refuse(method, "params.timeout must be from 0.001 to 86400 seconds");
    std::chrono::milliseconds ms(static_cast<std::int64_t>(std::ceil(seconds * 1000)));
    return out ? std::min(*out, ms) : ms;
}

worker_request make_execute(const python_config& config, const method_call& call) {
    const json::object& p = call.params;
    refuse_unknown(p, "execute", {"code", "file", "file_path", "context", "timeout"});
    worker_request r{{{"kind", "execute"}}, read_timeout(p, "execute", call.timeout)};
    const json::value* code = typed(p, "execute", "code", json::kind::string, "a string");
    const json::value* file = typed(p, "execute", "file", json::kind::string, "a string");
    const json::value* file_path = typed(p, "execute", "file_path", json::kind::string, "a string");
    if ((code != nullptr) + (file != nullptr) + (file_path != nullptr) != 1)
        refuse("execute", "give exactly one of params.code, params.file and params.file_path");
    if (code) {
        r.body["code"] = *code;
    } else {
        const char* name = file ? "params.file" : "params.file_path";
        std::string given(file ? file->get_string() : file_path->get_string());
        r.body["file"] = resolve_script(config.script_dirs, given, name).string();
    }
    if (const json::value* context = typed(p, "execute", "context", json::kind::object, "an object"))
        r.body["context"] = *context;
    else
        r.body["context"] = json::object{};
    return r;
}

worker_request make_call(const python_config& config, const method_call& call) {
    const json::object& p = call.params;
    refuse_unknown(p, "call", {"function", "args", "kwargs", "timeout"});
    worker_request r{{{"kind", "call"}}, read_timeout(p, "call", call.timeout)};
    const json::value* function = typed(p, "call", "function", json::kind::string, "a string");
    if (!function)
        refuse("call", "params.function is missing");
    std::string spec(function->get_string());
    static const std::regex shape(function_pattern);
    if (!std::regex_match(spec, shape))
        refuse("call", "params.function must be 'module:function', got '" + spec + "'");
    std::string module = spec.substr(0, spec.find(':'));
    if (!module_allowed(config.allowed_modules, module))
        refuse("call", "module '" + module + "' is not in allowed_modules");
    r.body["module"] = module;
    r.body["function"] = spec.substr(spec.find(':') + 1);
    const json::value* args = typed(p, "call", "args", json::kind::array, "an array");
    const json::value* kwargs = typed(p, "call", "kwargs", json::kind::object, "an object");
    r.body["args"] = args ? *args : json::array{};
    r.body["kwargs"] = kwargs ? *kwargs : json::object{};
    return r;
}

} // namespace

protocol_spec python_spec() {
    json::object function = schema("string", "the function to call, as module:function (a dotted "
                                             "path after the colon reaches into classes)");
    function["required"] = true;
    function["pattern"] = function_pattern;
    json::object file = schema("string", "a script inside the configured script_dirs; relative "
                                         "paths are looked up in each of them");
    file["min_length"] = 1;
    json::object file_path = file;
    file_path["description"] = "another name of file";
    return {
        protocol_id,
        "Runs Python code in a pool of warm python3 worker processes.",
        {
            {"execute",
             "Runs inline code or a script file with `context` in scope; the task's result is "
             "{result, stdout, stderr}, where result is the value the code leaves in `result`.",
             {{"code", schema("string", "Python source to run")},
              {"file", std::move(file)},
              {"file_path", std::move(file_path)},
              {"context", schema("object", "available to the code as the variable `context`")},
              {"timeout", timeout_schema()},
              {"additional", false}}},
            {"call",
             "Calls a function of a module the config allows, with args and kwargs; the task's "
             "result is {result, stdout, stderr}, where result is what the function returned.",
             {{"function", std::move(function)},
              {"args", schema("array", "positional arguments")},
              {"kwargs", schema("object", "keyword arguments")},
              {"timeout", timeout_schema()},
              {"additional", false}}},
        },
    };
}

worker_request make_request(const python_config& config, const method_call& call) {
    if (call.protocol != protocol_id)
        throw error(error_code::not_found,
                    std::string(plugin_name) + " does not serve protocol '" + call.protocol + "'");
    if (call.method == "execute")
        return make_execute(config, call);
    if (call.method == "call")
        return make_call(config, call);
    throw error(error_code::not_found,
                std::string(protocol_id) + " has no method '" + call.method + "'");
}

} // namespace gleitzeit::provider_python_detail
