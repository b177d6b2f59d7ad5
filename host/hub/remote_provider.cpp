#include "hub/remote_provider.hpp"

#include "hub/routing.hpp"

#include <boost/json/serialize.hpp>

namespace gleitzeit::hub {

namespace json = boost::json;

namespace {

// The hub's own timer fails a silent call at its timeout; the ack waits a little longer so
// that the timer, not the ack, decides, and a late reply is then simply ignored.
constexpr std::chrono::milliseconds ack_grace{1000};

class remote_link : public provider_link {
public:
    remote_link(std::weak_ptr<sio::socket> connection, std::string id)
        : connection_(std::move(connection)), id_(std::move(id)) {}

    void execute(provider_call c, std::function<void(task_result)> done) override {
        auto s = connection_.lock();
        if (!s)
            return done(result_of_reply(c.call.task_id, id_, nullptr));
        json::object payload{{"task_id", c.call.task_id},
                             {"workflow_id", c.workflow_id},
                             {"attempt", c.attempt},
                             {"protocol", c.call.protocol},
                             {"method", c.call.method},
                             {"params", c.call.params},
                             {"timeout_ms", c.call.timeout.count()}};
        stamp(payload, c.correlation_id, "hub");
        s->emit("execute_method", sio::message{json::array{std::move(payload)}, {}},
                c.call.timeout + ack_grace,
                [id = c.call.task_id, component = id_,
                 done = std::move(done)](std::optional<sio::message> reply) {
                    const json::value* first =
                        reply && !reply->args.empty() ? &reply->args[0] : nullptr;
                    done(result_of_reply(id, component, first));
                });
    }

    void cancel(const std::string& task_id, const std::string& reason) override {
        if (auto s = connection_.lock())
            s->emit("cancel_task", sio::message{json::array{json::object{
                                                    {"task_id", task_id}, {"reason", reason}}},
                                                {}});
    }

    bool alive() const override {
        auto s = connection_.lock();
        return s && s->connected();
    }

private:
    std::weak_ptr<sio::socket> connection_;
    std::string id_;
};

} // namespace

std::shared_ptr<provider_link> remote_provider(std::weak_ptr<sio::socket> connection,
                                               std::string component_id) {
    return std::make_shared<remote_link>(std::move(connection), std::move(component_id));
}

task_result result_of_reply(const std::string& task_id, const std::string& component_id,
                            const json::value* reply) {
    task_result r;
    r.task_id = task_id;
    r.provider = component_id;
    auto fail = [&](error_code code, std::string message, bool retryable) {
        r.error = task_error{code, std::move(message), retryable};
        return r;
    };
    if (!reply)
        return fail(error_code::provider_error,
                    "provider " + component_id + " did not reply to execute_method", true);
    const auto* o = reply->if_object();
    const auto* ok = o ? o->if_contains("ok") : nullptr;
    if (ok && ok->is_bool() && ok->get_bool() && o->contains("result")) {
        r.result = o->at("result");
        return r;
    }
    const auto* e = o ? o->if_contains("error") : nullptr;
    const auto* eo = e ? e->if_object() : nullptr;
    const auto* message = eo ? eo->if_contains("message") : nullptr;
    if (ok && ok->is_bool() && !ok->get_bool() && message && message->is_string()) {
        auto code = error_code::provider_error;
        if (const auto* c = eo->if_contains("code"); c && c->is_string()) {
            code = error_code_from_string(c->get_string());
            if (code == error_code::internal && c->get_string() != "internal")
                code = error_code::provider_error; // a name of the provider's own
        }
        bool retryable = true;
        if (const auto* rt = eo->if_contains("retryable"); rt && rt->is_bool())
            retryable = rt->get_bool();
        return fail(code, std::string(message->get_string()), retryable);
    }
    // A provider that answers nonsense will answer it again: not worth a retry.
    return fail(error_code::provider_error,
                "provider " + component_id +
                    " replied to execute_method with neither {ok: true, result} nor "
                    "{ok: false, error: {message}}: " + json::serialize(*reply),
                false);
}

} // namespace gleitzeit::hub
