// Loads plugin-api/example, built outside the tree against the installed package, the way
// gleitzeitd does: dlopen with rtld_now, read the plain-data descriptor before any C++ object
// of the plugin exists, then create the provider through the factory and call it.
//
//   sdk-load-example <path/to/example-greeter.so>
//
// Exits 0 when every check holds; otherwise prints each mismatch and exits 1.

#include "gleitzeit/export.hpp"
#include "gleitzeit/provider.hpp"
#include "gleitzeit/version.hpp"

#include <boost/dll/shared_library.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cstring>
#include <exception>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace json = boost::json;

namespace {

int failures = 0;

template <class Got, class Want>
void report_mismatch(const std::string& what, const Got& got, const Want& want) {
    std::cerr << "sdk-load-example: MISMATCH in " << what << ": expected '" << want << "', got '"
              << got << "'\n";
    ++failures;
}

template <class Got, class Want>
void expect_eq(const std::string& what, const Got& got, const Want& want) {
    if (!(got == want))
        report_mismatch(what, got, want);
}

/// A host that runs everything inline and remembers what the plugin told it.
class recording_host final : public gleitzeit::host {
public:
    void post(std::function<void()> fn) override { fn(); }
    void post_blocking(std::function<void()> fn) override { fn(); }
    timer_id start_timer(std::chrono::milliseconds, std::function<void()>) override {
        return ++timers_;
    }
    void cancel_timer(timer_id) override {}
    void log(gleitzeit::log_level, std::string_view message) override {
        logs.emplace_back(message);
    }
    void metric(std::string_view name, double value) override {
        metrics += std::string(name) + "=" + std::to_string(static_cast<long>(value)) + ";";
    }
    void emit(std::string_view, json::object) override {}

    std::vector<std::string> logs;
    std::string metrics;

private:
    timer_id timers_ = 0;
};

/// Runs one call and returns its result; `done` must have come exactly once.
gleitzeit::task_result call(gleitzeit::provider& p, const std::string& task_id,
                            const std::string& method, const char* params) {
    gleitzeit::method_call c;
    c.task_id = task_id;
    c.protocol = "greet/v1";
    c.method = method;
    c.params = json::parse(params).as_object();
    int calls = 0;
    std::optional<gleitzeit::task_result> result;
    p.execute(std::move(c), [&](gleitzeit::task_result r) {
        ++calls;
        result = std::move(r);
    });
    expect_eq(task_id + ": calls of done", calls, 1);
    return result ? std::move(*result) : gleitzeit::task_result{};
}

void check_refusal(const gleitzeit::task_result& r, const std::string& task_id,
                   gleitzeit::error_code code, const std::string& message) {
    expect_eq(task_id + ": has a result", r.result.has_value(), false);
    expect_eq(task_id + ": has an error", r.error.has_value(), true);
    if (!r.error)
        return;
    expect_eq(task_id + ": error code", gleitzeit::to_string(r.error->code),
              gleitzeit::to_string(code));
    expect_eq(task_id + ": error message", r.error->message, message);
    expect_eq(task_id + ": retryable", r.error->retryable, false);
}

void check_provider(gleitzeit::provider& p) {
    expect_eq("max_concurrency()", p.max_concurrency(), std::size_t(2));
    std::vector<gleitzeit::protocol_spec> protocols = p.protocols();
    expect_eq("protocols().size()", protocols.size(), std::size_t(1));
    if (protocols.size() == 1) {
        expect_eq("protocol", json::serialize(json::value_from(protocols[0])),
                  json::serialize(json::parse(R"({"id": "greet/v1", "description": "Greetings.",
                    "methods": [{"name": "hello", "description": "Greets someone by name.",
                    "params": {"name": {"type": "string", "required": true}}}]})")));
    }

    recording_host h;
    p.start(h);
    expect_eq("log lines after start", h.logs.size(), std::size_t(1));

    gleitzeit::task_result ok = call(p, "t-ada", "hello", R"({"name": "Ada"})");
    expect_eq("t-ada: task_id", ok.task_id, "t-ada");
    expect_eq("t-ada: provider", ok.provider, "example-greeter");
    expect_eq("t-ada: has an error", ok.error.has_value(), false);
    expect_eq("t-ada: result", ok.result ? json::serialize(*ok.result) : "(none)",
              R"({"greeting":"Hello, Ada!"})");
    expect_eq("metrics after one greeting", h.metrics, "greetings_total=1;");

    check_refusal(call(p, "t-empty", "hello", "{}"), "t-empty",
                  gleitzeit::error_code::invalid_argument, "hello: params.name is missing");
    check_refusal(call(p, "t-number", "hello", R"({"name": 7})"), "t-number",
                  gleitzeit::error_code::invalid_argument, "hello: params.name must be a string");
    check_refusal(call(p, "t-bye", "bye", "{}"), "t-bye", gleitzeit::error_code::not_found,
                  "greet/v1 has no method 'bye'");
    p.stop();
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: sdk-load-example <example-greeter.so>\n";
        return 2;
    }
    try {
        // rtld_now: a symbol the plugin cannot resolve fails here, not at its first call.
        boost::dll::shared_library lib(argv[1], boost::dll::load_mode::rtld_now);

        const auto& d = lib.get<const gleitzeit_plugin_descriptor_v1>(gleitzeit::descriptor_symbol);
        expect_eq("descriptor api_version", d.api_version, gleitzeit::plugin_api_version);
        expect_eq("descriptor slot", std::string(d.slot), "provider");
        expect_eq("descriptor name", std::string(d.name), "example-greeter");
        expect_eq("descriptor version", std::string(d.version), "1.0.0");
        expect_eq("descriptor build_tag", std::string(d.build_tag), GLEITZEIT_BUILD_TAG);
        if (failures != 0)
            return 1; // the host would stop here too: nothing else is safe to call

        auto& factory = lib.get_alias<gleitzeit::plugin_factory>(gleitzeit::factory_symbol);

        // A config the plugin refuses comes back as gleitzeit::error, across the boundary.
        try {
            (void)factory(json::parse(R"({"max_concurrency": 0})").as_object());
            report_mismatch("factory with max_concurrency 0", "no throw", "gleitzeit::error");
        } catch (const gleitzeit::error& e) {
            expect_eq("refused config code", gleitzeit::to_string(e.code()), "invalid_argument");
            expect_eq("refused config message", std::string(e.what()),
                      "example-greeter: max_concurrency must be an integer >= 1");
        }
        std::unique_ptr<gleitzeit::plugin> defaults = factory(json::object());
        if (auto* p = dynamic_cast<gleitzeit::provider*>(defaults.get()))
            expect_eq("default max_concurrency()", p->max_concurrency(), std::size_t(4));
        defaults.reset();

        std::unique_ptr<gleitzeit::plugin> instance =
            factory(json::parse(R"({"max_concurrency": 2})").as_object());
        auto* provider = dynamic_cast<gleitzeit::provider*>(instance.get());
        expect_eq("dynamic_cast<gleitzeit::provider*> succeeded", provider != nullptr, true);
        if (provider)
            check_provider(*provider);
        // The instance dies before `lib` unloads the code of its destructor.
        instance.reset();
    } catch (const std::exception& e) {
        std::cerr << "sdk-load-example: " << argv[1] << ": " << e.what() << '\n';
        return 1;
    }
    if (failures != 0) {
        std::cerr << "sdk-load-example: " << failures << " mismatch(es)\n";
        return 1;
    }
    std::cout << "sdk-load-example: " << argv[1] << ": all checks passed\n";
    return 0;
}
