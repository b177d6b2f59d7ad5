#include "reload/reloader.hpp"

#include "plugins/iso_time.hpp"
#include "plugins/plugin_host.hpp"

#include <algorithm>
#include <ctime>
#include <filesystem>

namespace gleitzeit::reload {

using config::config_error;
using config::provider_change;
using config::provider_settings;
using config::reload_plan;
using config::settings;
using config::slot_change;
using config::slot_settings;

namespace {

using step_done = std::function<void(const std::string& error)>;

struct step {
    std::string what;                       // names it in errors, e.g. "slots.queue"
    std::function<void(step_done)> run;
    std::function<void(step_done)> undo;    // empty: nothing to undo
};

// Runs steps one after another; on the first failure it undoes the finished ones, newest
// first, and reports the failure (and any undo that failed too).
class transaction : public std::enable_shared_from_this<transaction> {
public:
    transaction(std::vector<step> steps, std::function<void(std::string)> done)
        : steps_(std::move(steps)), done_(std::move(done)) {}

    void go() {
        if (next_ == steps_.size())
            return done_("");
        steps_[next_].run([self = shared_from_this()](const std::string& error) {
            if (!error.empty())
                return self->undo(self->next_, self->steps_[self->next_].what + ": " + error);
            ++self->next_;
            self->go();
        });
    }

private:
    void undo(std::size_t finished, std::string why) {
        if (finished == 0)
            return done_(why);
        auto& s = steps_[finished - 1];
        if (!s.undo)
            return undo(finished - 1, std::move(why));
        s.undo([self = shared_from_this(), finished, why](const std::string& error) {
            auto reason = why;
            if (!error.empty())
                reason += " (putting back " + self->steps_[finished - 1].what +
                          " failed too: " + error + ")";
            self->undo(finished - 1, reason);
        });
    }

    std::vector<step> steps_;
    std::size_t next_ = 0;
    std::function<void(std::string)> done_;
};

std::string slot_key(slot_kind k) { return "slots." + std::string(to_string(k)); }


// What a reload cannot change keeps its running value, so that the next diff still says
// it needs a restart.
settings keep_restart_settings(settings next, const settings& running) {
    // [server], [state] and [plugins] hold only such settings; slots and providers do not.
    next.server = running.server;
    next.state = running.state;
    next.plugins = running.plugins;
    return next;
}

} // namespace

boost::json::object reload_outcome::to_json() const {
    boost::json::object o{{"at", plugins::iso_time(at)}, {"trigger", trigger}, {"ok", ok}};
    if (!ok)
        o["error"] = error;
    boost::json::array a, r;
    for (const auto& s : applied)
        a.emplace_back(s);
    for (const auto& s : restart_needed)
        r.emplace_back(s);
    o["applied"] = std::move(a);
    o["restart_needed"] = std::move(r);
    return o;
}

reloader::reloader(std::string path, config::parse_options options, settings running,
                   plugins::plugin_host& plugins, std::function<void(const settings&)> apply_live)
    : path_(std::move(path)), options_(std::move(options)), plugins_(plugins),
      apply_live_(std::move(apply_live)), running_(std::move(running)) {}

void reloader::start(done_fn done) {
    // Starting is a reload from an empty config to the running one.
    settings empty;
    empty.server = running_.server;
    empty.tokens = running_.tokens;
    empty.log = running_.log;
    empty.state = running_.state;
    empty.plugins = running_.plugins;
    auto next = running();
    {
        std::lock_guard lock(mutex_);
        running_ = empty;
        busy_ = true;
    }
    reload_outcome out;
    out.at = std::chrono::system_clock::now();
    out.trigger = "start";
    apply(next, config::diff(empty, next), std::move(out), std::move(done));
}

void reloader::reload(std::string trigger, done_fn done) {
    {
        std::lock_guard lock(mutex_);
        if (busy_) {
            waiting_.emplace_back(std::move(trigger), std::move(done));
            return;
        }
        busy_ = true;
    }
    run(std::move(trigger), std::move(done));
}

void reloader::run(std::string trigger, done_fn done) {
    reload_outcome out;
    out.at = std::chrono::system_clock::now();
    out.trigger = std::move(trigger);
    settings next;
    try {
        next = config::load(path_, options_);
    } catch (const config_error& e) {
        out.error = e.what();
        return finish(std::move(out), done);
    }
    auto plan = config::diff(running(), next);
    out.restart_needed = plan.restart_needed;
    // Every plugin file is checked before anything changes.
    for (const auto& a : plan.slots)
        if ((a.change == slot_change::load || a.change == slot_change::swap) && !a.next->remote)
            if (auto e = plugins_.check(a.next->file, a.slot); !e.empty()) {
                out.error = slot_key(a.slot) + ": " + e;
                return finish(std::move(out), done);
            }
    for (const auto& a : plan.providers)
        if (a.change != provider_change::remove)
            if (auto e = plugins_.check(a.next->file, slot_kind::provider); !e.empty()) {
                out.error = "providers." + a.name + ": " + e;
                return finish(std::move(out), done);
            }
    apply(next, plan, std::move(out), std::move(done));
}

void reloader::apply(const settings& next, const reload_plan& plan, reload_outcome out,
                     done_fn done) {
    auto& p = plugins_;
    std::vector<step> steps;
    std::vector<std::function<void(step_done)>> afterwards; // unloads: nothing can fail then
    const auto state_dir = next.state.directory;
    auto set_slot = [&p, state_dir](slot_kind k, const slot_settings& s) {
        return [&p, k, s, state_dir](step_done d) {
            if (s.remote) // a remote component fills it when it registers
                return p.unload_slot(k, [d](const std::string&) { d(""); });
            auto config = s.config;
            // The persistence plugin keeps its file in [state].directory unless told otherwise.
            if (k == slot_kind::persistence && !config.contains("path"))
                config["path"] = (std::filesystem::path(state_dir) / "gleitzeit.db").string();
            p.set_slot(k, s.file, config, std::move(d));
        };
    };
    for (const auto& a : plan.slots) {
        auto k = a.slot;
        if (a.change == slot_change::load)
            steps.push_back({slot_key(k), set_slot(k, *a.next),
                             [&p, k](step_done d) { p.unload_slot(k, std::move(d)); }});
        else if (a.change == slot_change::swap)
            steps.push_back({slot_key(k), set_slot(k, *a.next), set_slot(k, *a.running)});
        else if (a.change == slot_change::unload)
            afterwards.push_back([&p, k](step_done d) { p.unload_slot(k, std::move(d)); });
    }
    for (const auto& a : plan.providers) {
        auto name = a.name;
        auto add = [&p](const provider_settings& s) {
            return [&p, s](step_done d) { p.set_provider(s.file, s.config, std::move(d), s.name); };
        };
        if (a.change == provider_change::add)
            steps.push_back({"providers." + name, add(*a.next),
                             [&p, name](step_done d) { p.unload_provider(name, std::move(d)); }});
        else if (a.change == provider_change::swap)
            steps.push_back({"providers." + name, add(*a.next), add(*a.running)});
        else
            afterwards.push_back(
                [&p, name](step_done d) { p.unload_provider(name, std::move(d)); });
    }
    auto lines = config::describe(plan);
    std::erase_if(lines, [&](const std::string& l) {
        return std::find(plan.restart_needed.begin(), plan.restart_needed.end(), l) !=
               plan.restart_needed.end();
    });
    auto self = shared_from_this();
    auto t = std::make_shared<transaction>(
        std::move(steps), [self, next, lines, afterwards, out = std::move(out),
                           done](const std::string& error) mutable {
            if (!error.empty()) {
                out.error = error;
                return self->finish(std::move(out), done);
            }
            for (const auto& unload : afterwards)
                unload([](const std::string&) {});
            {
                std::lock_guard lock(self->mutex_);
                self->running_ = keep_restart_settings(next, self->running_);
            }
            if (self->apply_live_)
                self->apply_live_(next);
            out.ok = true;
            out.applied = std::move(lines);
            self->finish(std::move(out), done);
        });
    t->go();
}

void reloader::finish(reload_outcome outcome, const done_fn& done) {
    std::pair<std::string, done_fn> again;
    {
        std::lock_guard lock(mutex_);
        last_ = outcome;
        if (waiting_.empty()) {
            busy_ = false;
        } else {
            again = std::move(waiting_.front());
            waiting_.erase(waiting_.begin());
        }
    }
    if (done)
        done(outcome);
    if (again.second || !again.first.empty())
        run(std::move(again.first), std::move(again.second));
}

reload_outcome reloader::last() const {
    std::lock_guard lock(mutex_);
    return last_;
}

settings reloader::running() const {
    std::lock_guard lock(mutex_);
    return running_;
}

bool reloader::configured_remote(slot_kind kind) const {
    std::lock_guard lock(mutex_);
    auto it = running_.slots.find(kind);
    return it != running_.slots.end() && it->second.remote;
}

std::optional<provider_settings> reloader::configured_provider(const std::string& name) const {
    std::lock_guard lock(mutex_);
    for (const auto& p : running_.providers)
        if (p.name == name)
            return p;
    return std::nullopt;
}

} // namespace gleitzeit::reload
