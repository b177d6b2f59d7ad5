// example-greeter: the smallest useful provider. It serves the protocol greet/v1, whose one
// method, hello, answers {"name": "Ada"} with {"greeting": "Hello, Ada!"}.
//
// It shows what every provider does: read its config table in the constructor, declare its
// protocols and its concurrency, answer each call through `done` exactly once, and refuse bad
// input with a gleitzeit error code the hub can act on (here: not worth retrying).

#include <gleitzeit/export.hpp>
#include <gleitzeit/provider.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace {

constexpr const char* plugin_name = "example-greeter";
constexpr const char* protocol_id = "greet/v1";

class greeter final : public gleitzeit::provider {
public:
    /// `config` is the plugin's table from gleitzeit.toml ([[providers]] ... config = {...}),
    /// as JSON. Throwing here refuses the plugin; the running generation stays.
    explicit greeter(const boost::json::object& config) {
        if (const boost::json::value* v = config.if_contains("max_concurrency")) {
            if (!v->is_int64() || v->get_int64() < 1)
                throw gleitzeit::error(gleitzeit::error_code::invalid_argument,
                                       "example-greeter: max_concurrency must be an integer >= 1");
            max_concurrency_ = static_cast<std::size_t>(v->get_int64());
        }
    }

    void start(gleitzeit::host& h) override {
        host_ = &h;
        host_->log(gleitzeit::log_level::info, "ready to greet");
    }

    void stop() override { host_ = nullptr; }

    std::vector<gleitzeit::protocol_spec> protocols() const override {
        gleitzeit::method_spec hello{
            "hello",
            "Greets someone by name.",
            {{"name", {{"type", "string"}, {"required", true}}}},
        };
        return {{protocol_id, "Greetings.", {std::move(hello)}}};
    }

    std::size_t max_concurrency() const override { return max_concurrency_; }

    void execute(gleitzeit::method_call call, done_fn done) override {
        auto started = std::chrono::steady_clock::now();
        gleitzeit::task_result r;
        r.task_id = std::move(call.task_id);
        r.provider = plugin_name;
        if (call.method != "hello") {
            r.error = refusal(gleitzeit::error_code::not_found,
                              std::string(protocol_id) + " has no method '" + call.method + "'");
        } else if (const boost::json::value* name = call.params.if_contains("name"); !name) {
            r.error =
                refusal(gleitzeit::error_code::invalid_argument, "hello: params.name is missing");
        } else if (!name->is_string()) {
            r.error = refusal(gleitzeit::error_code::invalid_argument,
                              "hello: params.name must be a string");
        } else {
            std::string greeting = "Hello, ";
            greeting += name->get_string();
            greeting += '!';
            r.result = boost::json::object{{"greeting", std::move(greeting)}};
            ++greeted_;
            if (host_)
                host_->metric("greetings_total", static_cast<double>(greeted_));
        }
        r.duration_ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
                .count();
        // hello finishes at once, so done comes before execute returns; a provider that waits
        // for something would keep `done` and call it later, from any thread.
        done(std::move(r));
    }

    // Nothing to stop: a call has already finished when execute() returns.
    void cancel(const std::string&) override {}

private:
    /// Bad input stays bad on the next attempt: retrying it would only repeat the refusal.
    static gleitzeit::task_error refusal(gleitzeit::error_code code, std::string message) {
        return {code, std::move(message), false};
    }

    std::size_t max_concurrency_ = 4;
    std::uint64_t greeted_ = 0;
    gleitzeit::host* host_ = nullptr;
};

} // namespace

GLEITZEIT_PLUGIN(provider, "example-greeter", "1.0.0", greeter)
