#include "hub_fakes.hpp"

#include <gleitzeit/archive.hpp>
#include <gleitzeit/error.hpp>

#include <boost/asio/post.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <stdexcept>

namespace hub_test {

namespace json = boost::json;
using gleitzeit::task_result;

// --- manual_clock ---------------------------------------------------------------------------

/// Destroying it marks its entry dead: the clock drops it instead of firing it. It shares the
/// entry, not the clock, so an alarm may outlive the clock (the pipeline's state can).
class manual_clock::handle final : public hub::alarm {
public:
    explicit handle(std::shared_ptr<entry> e) : e_(std::move(e)) {}
    ~handle() override { e_->live = false; }

private:
    std::shared_ptr<entry> e_;
};

std::unique_ptr<hub::alarm> manual_clock::after(std::chrono::milliseconds delay,
                                                std::function<void()> fn) {
    auto e = std::make_shared<entry>();
    e->due = now_ + std::max<std::int64_t>(0, delay.count());
    e->seq = next_seq_++;
    e->fn = std::move(fn);
    alarms_.push_back(e);
    return std::make_unique<handle>(std::move(e));
}

std::shared_ptr<manual_clock::entry> manual_clock::take_due(std::int64_t until) {
    std::erase_if(alarms_, [](const auto& e) { return !e->live; });
    auto best = alarms_.end();
    for (auto it = alarms_.begin(); it != alarms_.end(); ++it)
        if ((*it)->due <= until && (best == alarms_.end() || (*it)->due < (*best)->due ||
                                    ((*it)->due == (*best)->due && (*it)->seq < (*best)->seq)))
            best = it;
    if (best == alarms_.end())
        return nullptr;
    auto e = *best;
    alarms_.erase(best);
    return e;
}

void manual_clock::advance(std::chrono::milliseconds by, const std::function<void()>& settle) {
    const auto target = now_ + by.count();
    while (auto e = take_due(target)) {
        now_ = std::max(now_, e->due);
        e->live = false; // fired: once only
        e->fn();
        if (settle)
            settle();
    }
    now_ = target;
    if (settle)
        settle();
}

bool manual_clock::fire_due(const std::function<void()>& settle) {
    bool fired = false;
    while (auto e = take_due(now_)) {
        fired = true;
        e->live = false;
        e->fn();
        if (settle)
            settle();
    }
    return fired;
}

std::size_t manual_clock::pending() const {
    return static_cast<std::size_t>(
        std::count_if(alarms_.begin(), alarms_.end(), [](const auto& e) { return e->live; }));
}

std::vector<std::int64_t> manual_clock::pending_delays() const {
    std::vector<std::int64_t> out;
    for (const auto& e : alarms_)
        if (e->live)
            out.push_back(e->due - now_);
    std::sort(out.begin(), out.end());
    return out;
}

// --- fake_link ------------------------------------------------------------------------------

void fake_link::execute(hub::provider_call c, std::function<void(task_result)> done) {
    calls_.push_back({std::move(c), std::move(done), false});
}

void fake_link::cancel(const std::string& task_id, const std::string& reason) {
    cancels_.emplace_back(task_id, reason);
}

std::vector<std::string> fake_link::call_ids() const {
    std::vector<std::string> out;
    for (const auto& c : calls_)
        out.push_back(c.call.call.task_id);
    return out;
}

std::vector<std::string> fake_link::open_ids() const {
    std::vector<std::string> out;
    for (const auto& c : calls_)
        if (!c.answered)
            out.push_back(c.call.call.task_id);
    return out;
}

fake_link::call_record& fake_link::latest(const std::string& task_id) {
    for (auto it = calls_.rbegin(); it != calls_.rend(); ++it)
        if (it->call.call.task_id == task_id)
            return *it;
    throw std::logic_error("fake_link " + name_ + ": no call for " + task_id);
}

const fake_link::call_record& fake_link::last_call(const std::string& task_id) const {
    return const_cast<fake_link*>(this)->latest(task_id);
}

void fake_link::answer(const std::string& task_id, json::value result) {
    settle(latest(task_id), task_result{task_id, std::move(result), std::nullopt, name_, 1.0});
}

void fake_link::answer_nth(std::size_t n, json::value result) {
    auto& c = calls_.at(n);
    settle(c, task_result{c.call.call.task_id, std::move(result), std::nullopt, name_, 1.0});
}

void fake_link::fail(const std::string& task_id, gleitzeit::error_code code,
                     const std::string& message, bool retryable) {
    settle(latest(task_id),
           task_result{task_id, std::nullopt, gleitzeit::task_error{code, message, retryable},
                       name_, 1.0});
}

void fake_link::settle(call_record& c, task_result r) {
    if (c.answered)
        throw std::logic_error("fake_link " + name_ + ": " + r.task_id + " answered twice");
    c.answered = true;
    // Moved out: the callback holds the pipeline's state, which holds this link.
    auto done = std::exchange(c.done, nullptr);
    done(std::move(r));
}

void fake_link::hang_up() {
    for (auto& c : calls_)
        c.done = nullptr;
}

void fake_slots::hang_up() {
    for (auto& [name, p] : plugin_providers_)
        p.link->hang_up();
}

void fake_provider::execute(gleitzeit::method_call call, done_fn done) {
    done(task_result{call.task_id, std::nullopt,
                     gleitzeit::task_error{gleitzeit::error_code::internal,
                                           "fake_provider: calls go through the link", false},
                     "", 0});
}

// --- fake_slots -----------------------------------------------------------------------------

template <class Slot>
void fake_slots::post(const char* kind, std::shared_ptr<Slot> instance, hub::slot_fn<Slot> fn) {
    ++visits[kind];
    boost::asio::post(ioc_,
                      [instance = std::move(instance), fn = std::move(fn)] { fn(instance.get()); });
}

std::shared_ptr<fake_link>
fake_slots::add_plugin_provider(const std::string& name,
                                std::vector<gleitzeit::protocol_spec> specs,
                                std::size_t max_concurrency) {
    auto& p = plugin_providers_[name];
    p.instance = std::make_shared<fake_provider>(std::move(specs), max_concurrency);
    p.link = std::make_shared<fake_link>(name);
    return p.link;
}

gleitzeit::workflow_archive* fake_slots::archive_of(gleitzeit::persistence& store) {
    return dynamic_cast<gleitzeit::workflow_archive*>(&store);
}

std::vector<std::string> fake_slots::providers() const {
    std::vector<std::string> out;
    for (const auto& [name, p] : plugin_providers_)
        out.push_back(name);
    return out;
}

void fake_slots::with_provider(const std::string& name, hub::slot_fn<gleitzeit::provider> fn) {
    auto it = plugin_providers_.find(name);
    std::shared_ptr<gleitzeit::provider> instance;
    if (it != plugin_providers_.end())
        instance = it->second.instance;
    post("provider", std::move(instance), std::move(fn));
}

std::shared_ptr<hub::provider_link> fake_slots::link(const std::string& name) {
    auto it = plugin_providers_.find(name);
    if (it == plugin_providers_.end()) // the pipeline asks only for providers it was told of
        throw std::logic_error("fake_slots: link to unknown provider " + name);
    return it->second.link;
}

// --- slots that throw -----------------------------------------------------------------------

void refusing_queue::enqueue(gleitzeit::task t) {
    if (refused_.count(t.id))
        throw std::runtime_error("refusing_queue refuses " + t.id);
    queue_memory::enqueue(std::move(t));
}

std::optional<std::string> broken_choice_registry::find_provider(const std::string&) {
    ++find_calls;
    throw std::runtime_error("broken_choice_registry cannot choose");
}

failing_persistence::failing_persistence(const std::string& path)
    : persistence_sqlite(json::object{{"path", path}, {"synchronous", "normal"}}) {}

void failing_persistence::save(const batch& b) {
    if (failing) {
        ++refused_saves;
        throw std::runtime_error("disk full");
    }
    persistence_sqlite::save(b);
}

} // namespace hub_test
