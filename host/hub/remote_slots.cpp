#include "hub/remote_slots.hpp"

#include <gleitzeit/persistence.hpp>
#include <gleitzeit/queue.hpp>
#include <gleitzeit/registry.hpp>
#include <gleitzeit/resolver.hpp>

#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

namespace gleitzeit::hub {

namespace json = boost::json;

namespace {

using link_ptr = std::shared_ptr<const component_link>;

/// The reply's `key`, which must be there, as T.
template <class T>
T field(const component_link& c, const json::object& reply, std::string_view key,
        std::string_view event) {
    const auto* v = reply.if_contains(key);
    if (!v)
        throw error(error_code::plugin_error, c.who() + " replied to " + std::string(event) +
                                                  " without '" + std::string(key) + "'");
    try {
        return json::value_to<T>(*v);
    } catch (const std::exception& e) {
        throw error(error_code::plugin_error, c.who() + " replied to " + std::string(event) +
                                                  " with a bad '" + std::string(key) +
                                                  "': " + e.what());
    }
}

/// The reply's `key` as T, or nullopt when it is null or missing.
template <class T>
std::optional<T> optional_field(const component_link& c, const json::object& reply,
                                std::string_view key, std::string_view event) {
    const auto* v = reply.if_contains(key);
    if (!v || v->is_null())
        return std::nullopt;
    return field<T>(c, reply, key, event);
}

/// A slot part whose every call is an event to the component behind `link`.
template <class Part> class remote_part : public Part {
public:
    explicit remote_part(link_ptr link) : link_(std::move(link)) {}

protected:
    link_ptr link_;
};

class remote_queue : public remote_part<queue> {
public:
    using remote_part::remote_part;

    void enqueue(task t) override {
        try {
            link_->call("enqueue_task", {{"task", json::value_from(t)}});
        } catch (const component_gone&) {
            // Gone with everything it held; this task is put back with the rest when the
            // slot is filled again (pipeline::slot_filled).
        }
    }

    std::optional<task> dequeue(const std::vector<std::string>& protocols) override {
        try {
            auto r = link_->call("request_next_task", {{"protocols", json::value_from(protocols)}});
            return optional_field<task>(*link_, r, "task", "request_next_task");
        } catch (const std::exception& e) {
            // The pipeline takes "nothing" for an answer and asks again later; a task the
            // component lost this way is still ready in the pipeline.
            if (!dynamic_cast<const component_gone*>(&e))
                link_->log_failure("request_next_task", e);
            return std::nullopt;
        }
    }

    bool remove(std::string_view task_id) override {
        try {
            auto r = link_->call("remove_task", {{"task_id", task_id}});
            return optional_field<bool>(*link_, r, "removed", "remove_task").value_or(false);
        } catch (const std::exception& e) {
            link_->log_failure("remove_task", e);
            return false;
        }
    }

    queue_stats stats() const override {
        queue_stats s;
        try {
            auto r = link_->call("queue_stats", {});
            s.size = field<std::size_t>(*link_, r, "size", "queue_stats");
            s.enqueued_total =
                optional_field<std::uint64_t>(*link_, r, "enqueued_total", "queue_stats")
                    .value_or(0);
            s.dequeued_total =
                optional_field<std::uint64_t>(*link_, r, "dequeued_total", "queue_stats")
                    .value_or(0);
        } catch (const std::exception& e) {
            link_->log_failure("queue_stats", e);
        }
        return s;
    }

    std::vector<std::string> list(std::size_t offset, std::size_t limit) const override {
        try {
            auto r = link_->call("list_queue", {{"offset", offset}, {"limit", limit}});
            return field<std::vector<std::string>>(*link_, r, "tasks", "list_queue");
        } catch (const std::exception& e) {
            link_->log_failure("list_queue", e);
            return {};
        }
    }
};

class remote_resolver : public remote_part<resolver> {
public:
    using remote_part::remote_part;

    workflow_analysis analyze(const workflow& w) override {
        auto r = link_->call("analyze_workflow", {{"workflow", json::value_from(w)}}, w.id);
        workflow_analysis a;
        a.execution_order =
            field<std::vector<std::string>>(*link_, r, "execution_order", "analyze_workflow");
        a.ready_tasks =
            field<std::vector<std::string>>(*link_, r, "ready_tasks", "analyze_workflow");
        return a;
    }

    task_release complete(const std::string& workflow_id, const task_result& result) override {
        auto r = link_->call("task_completed",
                             {{"workflow_id", workflow_id}, {"result", json::value_from(result)}},
                             workflow_id);
        task_release rel;
        rel.ready_tasks =
            optional_field<std::vector<task>>(*link_, r, "ready_tasks", "task_completed")
                .value_or(std::vector<task>{});
        rel.skipped =
            optional_field<std::vector<std::string>>(*link_, r, "skipped", "task_completed")
                .value_or(std::vector<std::string>{});
        rel.failed =
            optional_field<std::vector<task_result>>(*link_, r, "failed", "task_completed")
                .value_or(std::vector<task_result>{});
        rel.workflow_finished =
            optional_field<bool>(*link_, r, "workflow_finished", "task_completed").value_or(false);
        return rel;
    }

    void forget(const std::string& workflow_id) override {
        try {
            link_->call("forget_workflow", {{"workflow_id", workflow_id}}, workflow_id);
        } catch (const std::exception& e) {
            link_->log_failure("forget_workflow", e);
        }
    }
};

class remote_registry : public remote_part<registry> {
public:
    using remote_part::remote_part;

    void register_protocol(const protocol_spec& spec) override {
        link_->call("register_protocol", {{"protocol", json::value_from(spec)}});
    }

    std::optional<protocol_spec> find_protocol(const std::string& id) const override {
        try {
            auto r = link_->call("find_protocol", {{"protocol_id", id}});
            return optional_field<protocol_spec>(*link_, r, "protocol", "find_protocol");
        } catch (const std::exception& e) {
            link_->log_failure("find_protocol", e);
            return std::nullopt;
        }
    }

    void register_provider(const provider_info& p) override {
        notify("register_provider",
               {{"provider", json::object{{"id", p.id},
                                          {"protocols", json::value_from(p.protocols)},
                                          {"max_concurrency", p.max_concurrency}}}});
    }

    void unregister_provider(const std::string& provider_id) override {
        notify("unregister_provider", {{"provider_id", provider_id}});
    }

    void validate_call(const std::string& protocol, const std::string& method,
                       const json::object& params) const override {
        link_->call("validate_call",
                    {{"protocol", protocol}, {"method", method}, {"params", params}});
    }

    // No choice is an answer the pipeline takes: it picks a provider with a free credit.
    std::optional<std::string> find_provider(const std::string& protocol) override {
        try {
            auto r = link_->call("find_provider", {{"protocol", protocol}});
            return optional_field<std::string>(*link_, r, "provider", "find_provider");
        } catch (const std::exception& e) {
            link_->log_failure("find_provider", e);
            return std::nullopt;
        }
    }

    void track_load(const std::string& provider_id, int delta) override {
        notify("track_load", {{"provider_id", provider_id}, {"delta", delta}});
    }

private:
    void notify(std::string_view event, json::object payload) const {
        try {
            link_->call(event, std::move(payload));
        } catch (const std::exception& e) {
            link_->log_failure(event, e);
        }
    }
};

class remote_persistence : public remote_part<persistence> {
public:
    using remote_part::remote_part;

    // One event for the whole batch: the component makes it durable as one transaction.
    void save(const batch& b) override {
        json::array events;
        for (const auto& e : b.events)
            events.emplace_back(e);
        link_->call("save_batch", {{"workflows", json::value_from(b.workflows)},
                                   {"tasks", json::value_from(b.tasks)},
                                   {"results", json::value_from(b.results)},
                                   {"events", std::move(events)}});
    }

    std::vector<workflow> load_unfinished() override {
        auto r = link_->call("query_data", {{"query", "unfinished_workflows"}});
        return field<std::vector<workflow>>(*link_, r, "workflows", "query_data");
    }

    std::optional<task_result> load_result(const std::string& task_id) override {
        auto r = link_->call("query_data", {{"query", "result"}, {"task_id", task_id}});
        return optional_field<task_result>(*link_, r, "result", "query_data");
    }
};

} // namespace

std::shared_ptr<plugin> remote_slot(slot_kind kind, link_ptr link) {
    switch (kind) {
    case slot_kind::queue:
        return std::make_shared<remote_queue>(std::move(link));
    case slot_kind::resolver:
        return std::make_shared<remote_resolver>(std::move(link));
    case slot_kind::registry:
        return std::make_shared<remote_registry>(std::move(link));
    case slot_kind::persistence:
        return std::make_shared<remote_persistence>(std::move(link));
    case slot_kind::provider:
        break;
    }
    throw error(error_code::invalid_argument, "a provider is not a slot a remote component fills");
}

} // namespace gleitzeit::hub
