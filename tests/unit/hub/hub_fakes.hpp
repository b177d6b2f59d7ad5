#pragma once
// The fakes the pipeline's unit tests run against: the slots (real shipped plugins where that
// is simplest, and variants that throw), a clock that moves only when a test says so, and a
// provider link that a test answers by hand. Everything runs on one thread; the io_context
// stands in for the slots' strands, so that a slot call is never inline, as in the daemon.

#include "hub/clock.hpp"
#include "hub/provider_link.hpp"
#include "hub/slots.hpp"

#include <gleitzeit/persistence.hpp>
#include <gleitzeit/provider.hpp>
#include <gleitzeit/queue.hpp>
#include <gleitzeit/registry.hpp>
#include <gleitzeit/resolver.hpp>

#include "persistence_sqlite.hpp"
#include "queue_memory.hpp"
#include "registry_default.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace hub_test {

namespace hub = gleitzeit::hub;

// --- time -----------------------------------------------------------------------------------

/// now_ms() is whatever the test set; alarms fire only in advance() (or fire_due()), in the
/// order of their due time, then of their creation. A destroyed alarm never fires.
class manual_clock final : public hub::clock {
public:
    std::int64_t now_ms() const override { return now_; }
    std::unique_ptr<hub::alarm> after(std::chrono::milliseconds delay,
                                      std::function<void()> fn) override;

    void set(std::int64_t now_ms) { now_ = now_ms; }
    /// Moves time forward by `by`, one due alarm at a time; `settle` runs after each alarm
    /// (the test's driver), so that what an alarm causes happens before the next one fires.
    void advance(std::chrono::milliseconds by, const std::function<void()>& settle);
    /// Fires the alarms due now (a zero delay); false if there were none.
    bool fire_due(const std::function<void()>& settle);
    /// Alarms neither fired nor destroyed.
    std::size_t pending() const;
    /// Delays of the alarms pending, in due order, relative to now.
    std::vector<std::int64_t> pending_delays() const;

private:
    struct entry {
        std::int64_t due = 0;
        std::uint64_t seq = 0;
        std::function<void()> fn;
        bool live = true;
    };
    class handle;
    /// The earliest live alarm due by `until`, taken out of the list; null if none.
    std::shared_ptr<entry> take_due(std::int64_t until);

    std::int64_t now_ = 1'700'000'000'000; // a plausible epoch time, so due_ms look real
    std::uint64_t next_seq_ = 0;
    std::vector<std::shared_ptr<entry>> alarms_;
};

// --- providers ------------------------------------------------------------------------------

/// A provider as the pipeline sees it: every call is recorded, and the test answers it later
/// (or never). Names the provider in its results, as a real one does.
class fake_link final : public hub::provider_link {
public:
    struct call_record {
        hub::provider_call call;
        std::function<void(gleitzeit::task_result)> done;
        bool answered = false;
    };

    explicit fake_link(std::string name) : name_(std::move(name)) {}

    void execute(hub::provider_call c, std::function<void(gleitzeit::task_result)> done) override;
    void cancel(const std::string& task_id, const std::string& reason) override;
    bool alive() const override { return alive_; }

    const std::string& name() const { return name_; }
    void set_alive(bool a) { alive_ = a; }

    /// Every call received, answered or not, oldest first.
    const std::vector<call_record>& calls() const { return calls_; }
    /// Qualified task ids ("w1/a") of every call received, in order.
    std::vector<std::string> call_ids() const;
    /// Qualified task ids of the calls not answered yet.
    std::vector<std::string> open_ids() const;
    /// The latest call for `task_id` (qualified); fails the test if there is none.
    const call_record& last_call(const std::string& task_id) const;
    /// (task id, reason) of every cancel(), in order.
    const std::vector<std::pair<std::string, std::string>>& cancels() const { return cancels_; }

    /// Answers the latest call for `task_id` with a result / an error. Answering a call twice
    /// fails the test: the link promises `done` exactly once.
    void answer(const std::string& task_id, boost::json::value result);
    void fail(const std::string& task_id, gleitzeit::error_code code, const std::string& message,
              bool retryable);
    /// Answers the n-th call received (0 for the first), e.g. an attempt that timed out.
    void answer_nth(std::size_t n, boost::json::value result);

    /// Drops the callbacks of the calls still open, as a closed connection drops its pending
    /// acks: they hold the pipeline's state, which holds this link.
    void hang_up();

private:
    call_record& latest(const std::string& task_id);
    void settle(call_record& c, gleitzeit::task_result r);

    std::string name_;
    bool alive_ = true;
    std::vector<call_record> calls_;
    std::vector<std::pair<std::string, std::string>> cancels_;
};

/// A provider plugin as the slots hold it: the pipeline reads its protocols and credits from
/// it; its calls go through the slots' link(name), a fake_link.
class fake_provider final : public gleitzeit::provider {
public:
    fake_provider(std::vector<gleitzeit::protocol_spec> specs, std::size_t max_concurrency)
        : specs_(std::move(specs)), max_concurrency_(max_concurrency) {}
    std::vector<gleitzeit::protocol_spec> protocols() const override { return specs_; }
    std::size_t max_concurrency() const override { return max_concurrency_; }
    /// Not the pipeline's way to a provider (it goes through the link): answered with an
    /// error, so that a test sees it if that changes.
    void execute(gleitzeit::method_call call, done_fn done) override;
    void cancel(const std::string&) override {}

private:
    std::vector<gleitzeit::protocol_spec> specs_;
    std::size_t max_concurrency_;
};

// --- slots ----------------------------------------------------------------------------------

/// hub::slots over one instance per slot, each of which a test may swap or empty (null). Each
/// call is posted to the io_context, like a slot strand, never run inline.
class fake_slots final : public hub::slots {
public:
    explicit fake_slots(boost::asio::io_context& ioc) : ioc_(ioc) {}

    std::shared_ptr<gleitzeit::queue> queue_slot;
    std::shared_ptr<gleitzeit::resolver> resolver_slot;
    std::shared_ptr<gleitzeit::registry> registry_slot;
    std::shared_ptr<gleitzeit::persistence> persistence_slot;

    /// Loads a provider plugin `name`; its calls land in the link returned.
    std::shared_ptr<fake_link> add_plugin_provider(const std::string& name,
                                                   std::vector<gleitzeit::protocol_spec> specs,
                                                   std::size_t max_concurrency);
    void remove_plugin_provider(const std::string& name) { plugin_providers_.erase(name); }
    /// hang_up() on every provider link: the test is over.
    void hang_up();

    /// How many calls reached each slot kind ("queue", "resolver", ...), for tests that check
    /// that a slot was (not) asked.
    std::map<std::string, std::size_t> visits;

    gleitzeit::workflow_archive* archive_of(gleitzeit::persistence& store) override;
    std::vector<std::string> providers() const override;
    void with_provider(const std::string& name, hub::slot_fn<gleitzeit::provider> fn) override;
    std::shared_ptr<hub::provider_link> link(const std::string& name) override;

    void visit(hub::slot_fn<gleitzeit::queue> fn) override {
        post("queue", queue_slot, std::move(fn));
    }
    void visit(hub::slot_fn<gleitzeit::resolver> fn) override {
        post("resolver", resolver_slot, std::move(fn));
    }
    void visit(hub::slot_fn<gleitzeit::registry> fn) override {
        post("registry", registry_slot, std::move(fn));
    }
    void visit(hub::slot_fn<gleitzeit::persistence> fn) override {
        post("persistence", persistence_slot, std::move(fn));
    }

private:
    struct plugin_provider {
        std::shared_ptr<fake_provider> instance;
        std::shared_ptr<fake_link> link;
    };

    /// The instance as it is when the call is made travels with it, as a strand job holds
    /// the generation it was posted to.
    template <class Slot>
    void post(const char* kind, std::shared_ptr<Slot> instance, hub::slot_fn<Slot> fn);

    boost::asio::io_context& ioc_;
    std::map<std::string, plugin_provider> plugin_providers_;
};

// --- slots that throw -----------------------------------------------------------------------

/// queue-memory that refuses to enqueue the task ids in `refused` (qualified ids).
class refusing_queue final : public gleitzeit::queue_memory {
public:
    explicit refusing_queue(std::set<std::string> refused)
        : queue_memory(boost::json::object{}, 1), refused_(std::move(refused)) {}
    void enqueue(gleitzeit::task t) override;

private:
    std::set<std::string> refused_;
};

/// registry-default whose find_provider always throws: the pipeline must fall back to its own
/// choice.
class broken_choice_registry final : public gleitzeit::registry_default {
public:
    broken_choice_registry() : registry_default(boost::json::object{}) {}
    std::optional<std::string> find_provider(const std::string& protocol) override;
    std::size_t find_calls = 0;
};

/// persistence-sqlite whose save throws while `failing` is set; everything else is the real
/// file, so that a test can read what was (not) written.
class failing_persistence final : public gleitzeit::persistence_sqlite {
public:
    explicit failing_persistence(const std::string& path);
    void save(const batch& b) override;
    bool failing = true;
    std::size_t refused_saves = 0;
};

} // namespace hub_test
