#include "plugins/slot.hpp"

#include <boost/asio/post.hpp>

namespace gleitzeit::plugins {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

namespace {

// SQLite and the like block: the persistence slot's calls run on the blocking pool, one at a
// time, never on the event loop (plugin-api persistence.hpp). So do a remote component's,
// which wait for its replies: on the event loop, with [server] threads = 1, the wait would
// hold up the very connection the reply comes on.
strand strand_for(slot_kind kind, bool remote, host_context& ctx) {
    if (kind == slot_kind::persistence || remote)
        return strand(asio::any_io_executor(ctx.blocking.get_executor()));
    return strand(asio::any_io_executor(ctx.ioc.get_executor()));
}

} // namespace

std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v)
        out += (out.empty() ? "" : ", ") + s;
    return out.empty() ? "none" : out;
}

std::string what_of(std::exception_ptr e) {
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& x) {
        return x.what();
    } catch (...) {
        return "a non-standard exception";
    }
}

slot::slot(std::string name, slot_kind kind, host_context& ctx, std::chrono::milliseconds drain,
           bool remote)
    : name_(std::move(name)), kind_(kind), remote_(remote), ctx_(ctx),
      strand_(strand_for(kind, remote, ctx)), drain_(drain) {}

std::string slot::log_name(const generation& g) const {
    return (g.remote() ? "remote component " : "") + g.name() + " " + g.version() +
           " (generation " + std::to_string(g.number()) + ")";
}

void slot::refuse(const library& lib, const std::string& why, const done_fn& done) {
    auto message = "refusing plugin " + lib.file().string() + " (" + lib.info().name + " " +
                   lib.info().version + "): " + why;
    ctx_.log(log_level::error, "slot " + name_ + ": " + message);
    done(message);
}

void slot::install(std::shared_ptr<library> lib, boost::json::object config, done_fn done) {
    asio::post(strand_, [self = shared_from_this(), lib = std::move(lib),
                         config = std::move(config), done = std::move(done)] {
        self->prepare_on_strand(lib, config, done);
    });
}

void slot::install_keeping_config(std::shared_ptr<library> lib, done_fn done) {
    asio::post(strand_, [self = shared_from_this(), lib = std::move(lib), done = std::move(done)] {
        self->prepare_on_strand(lib, self->current_ ? self->current_->config() : boost::json::object{},
                                done);
    });
}

// First strand job: the new generation is created and started while the old one serves.
void slot::prepare_on_strand(const std::shared_ptr<library>& lib,
                             const boost::json::object& config, const done_fn& done) {
    if (swapping_)
        return refuse(*lib, "another swap of this slot is in progress", done);
    if (draining_)
        return refuse(*lib,
                      "the previous generation is still draining; at most two generations of a "
                      "slot live at once",
                      done);
    if (!retired_.expired()) {
        // The previous generation is being freed and unmapped, which takes moments, not
        // seconds: wait for it rather than refuse, so that swaps can follow each other.
        if (++unload_waits_ > 2000) {
            unload_waits_ = 0;
            return refuse(*lib, "the previous generation has not been unloaded after 10 s; "
                                "at most two generations of a slot live at once", done);
        }
        auto timer = std::make_shared<asio::steady_timer>(strand_, std::chrono::milliseconds(5));
        timer->async_wait([self = shared_from_this(), timer, lib, config,
                           done](boost::system::error_code) {
            self->prepare_on_strand(lib, config, done);
        });
        return;
    }
    unload_waits_ = 0;
    // Numbered when it is created; the number is only used up by a generation that lands.
    auto next = std::make_shared<generation>(generations_ + 1, name_, lib, strand_, ctx_);
    try {
        next->create(config);
    } catch (...) {
        return refuse(*lib, "its constructor threw: " + what_of(std::current_exception()), done);
    }
    try {
        next->instance().start(next->services());
    } catch (...) {
        auto why = "start() threw: " + what_of(std::current_exception());
        next->stop();
        return refuse(*lib, why, done);
    }
    if (!current_) {
        ++generations_;
        current_ = std::move(next);
        publish();
        ctx_.log(log_level::info, "slot " + name_ + ": loaded " + log_name(*current_) + " from " +
                                      current_->lib().file().string());
        return done("");
    }
    // The switch is a job of its own: calls queued meanwhile still reach the old
    // generation, and the pause is only the switch itself.
    swapping_ = true;
    asio::post(strand_, [self = shared_from_this(), next = std::move(next), done] {
        if (self->kind_ != slot_kind::provider)
            self->begin_handoff_on_strand(next, done);
        else
            self->switch_on_strand(next, done);
    });
}

// Second strand job: the pause of a swap without handoff. Nothing else of this slot runs
// until it ends.
void slot::switch_on_strand(std::shared_ptr<generation> next, const done_fn& done) {
    auto started = clock::now();
    if (kind_ != slot_kind::provider)
        if (auto why = migrate_state(*current_, *next); !why.empty())
            return roll_back(next, why, done);
    land(std::move(next), started, 0.0, done);
}

void slot::roll_back(const std::shared_ptr<generation>& next, const std::string& why,
                     const done_fn& done) {
    swapping_ = false;
    next->stop();
    refuse(next->lib(), why + "; " + log_name(*current_) + " stays active with its state", done);
}

void slot::land(std::shared_ptr<generation> next, clock::time_point started, double paused_before,
                const done_fn& done) {
    swapping_ = false;
    ++generations_;
    auto old = std::exchange(current_, next);
    if (kind_ == slot_kind::provider) {
        draining_ = old;
        if (old->in_flight == 0) {
            drained(old);
        } else {
            drain_timer_ = std::make_unique<asio::steady_timer>(strand_, drain_);
            drain_timer_->async_wait([self = shared_from_this(),
                                      weak = std::weak_ptr<generation>(old)](
                                         boost::system::error_code ec) {
                auto g = weak.lock();
                if (ec || !g || g != self->draining_)
                    return;
                self->ctx_.log(log_level::warn,
                               "slot " + self->name_ + ": " + self->log_name(*g) + " still has " +
                                   std::to_string(g->in_flight) +
                                   " calls in flight after the drain timeout; cancelling them");
                auto* p = dynamic_cast<provider*>(&g->instance());
                for (const auto& id : g->calls)
                    g->guarded("cancel()", [&] { p->cancel(id); });
                self->drained(g);
            });
        }
    }
    publish();
    if (kind_ != slot_kind::provider)
        retire(old);
    next->swap_pause_ms =
        paused_before + std::chrono::duration<double, std::milli>(clock::now() - started).count();
    publish();
    // Freeing the old state (100,000 tasks take a while) and unmapping the library need not
    // hold up the slot: the last reference goes on the blocking pool.
    asio::post(ctx_.blocking, [old = std::move(old)]() mutable { old.reset(); });
    ctx_.log(log_level::info,
             "slot " + name_ + ": swapped in " + log_name(*next) + ", paused " +
                 std::to_string(next->swap_pause_ms) + " ms" +
                 (paused_before > 0 ? " (" + std::to_string(paused_before) +
                                          " ms of it before the state was copied)"
                                    : std::string()));
    done("");
}

std::string slot::negotiate(generation& from, generation& to, std::vector<std::string>& accepted) {
    std::vector<std::string> offered;
    accepted.clear();
    try {
        offered = from.instance().state_formats();
        if (!offered.empty())
            accepted = to.instance().state_formats();
    } catch (...) {
        return "state_formats() threw: " + what_of(std::current_exception());
    }
    if (!offered.empty() && accepted.empty())
        return "the new generation reads no state, but the running one keeps state (" +
               join(offered) + "): swapping would lose it";
    return "";
}

std::string slot::migrate_state(generation& from, generation& to) {
    std::vector<std::string> accepted;
    if (auto why = negotiate(from, to, accepted); !why.empty() || accepted.empty())
        return why; // accepted empty: the running generation keeps nothing
    boost::json::object state;
    try {
        state = from.instance().export_state(accepted);
    } catch (...) {
        return "export_state(" + join(accepted) +
               ") of the running generation threw: " + what_of(std::current_exception());
    }
    try {
        to.instance().import_state(state);
    } catch (...) {
        return "import_state threw: " + what_of(std::current_exception());
    }
    return "";
}

// A stateful slot's old generation stops at once; it is unmapped when the last callback
// that holds it has run.
void slot::retire(const std::shared_ptr<generation>& old) {
    old->stop();
    ctx_.log(log_level::info, "slot " + name_ + ": stopped " + log_name(*old));
    retired_ = old;
}

void slot::drained(const std::shared_ptr<generation>& old) {
    if (draining_ != old)
        return;
    if (drain_timer_)
        drain_timer_->cancel();
    draining_.reset();
    publish();
    retire(old);
}

void slot::unload(done_fn done) {
    asio::post(strand_, [self = shared_from_this(), done = std::move(done)] {
        if (!self->current_)
            return done("slot " + self->name_ + " is empty");
        if (self->swapping_)
            return done("slot " + self->name_ + ": a swap is in progress; unload after it");
        if (self->draining_)
            return done("slot " + self->name_ + ": the previous generation is still draining");
        auto old = std::exchange(self->current_, nullptr);
        if (self->kind_ == slot_kind::provider) {
            self->draining_ = old;
            if (old->in_flight == 0)
                self->drained(old);
        } else {
            self->publish();
            self->retire(std::move(old));
        }
        self->publish();
        done("");
    });
}

void slot::with(std::function<void(plugin*)> fn) {
    asio::post(strand_, [self = shared_from_this(), fn = std::move(fn)]() mutable {
        if (self->hold_timer_)
            return self->held_.push_back(std::move(fn));
        fn(self->current_ ? &self->current_->instance() : nullptr);
    });
}

void slot::fill(std::shared_ptr<plugin> instance, std::string component_id, std::string version,
                done_fn done) {
    asio::post(strand_, [self = shared_from_this(), instance = std::move(instance),
                         id = std::move(component_id), version = std::move(version),
                         done = std::move(done)]() mutable {
        if (self->current_)
            return done("the " + self->name_ + " slot is filled already, by " +
                        self->log_name(*self->current_));
        self->current_ = std::make_shared<generation>(
            ++self->generations_, self->name_, std::move(instance), std::move(id),
            std::move(version), self->strand_, self->ctx_);
        self->publish();
        self->ctx_.log(log_level::info,
                       "slot " + self->name_ + ": filled by " + self->log_name(*self->current_));
        // Before anything newer: the held calls came first.
        self->release_held();
        done("");
    });
}

void slot::vacate(std::string component_id, std::chrono::milliseconds hold, done_fn done) {
    asio::post(strand_, [self = shared_from_this(), id = std::move(component_id), hold,
                         done = std::move(done)] {
        auto& g = self->current_;
        if (!g || !g->remote() || g->name() != id)
            return done("component " + id + " does not fill the " + self->name_ + " slot");
        self->ctx_.log(log_level::info, "slot " + self->name_ + ": " + self->log_name(*g) +
                                            " went; calls wait up to " +
                                            std::to_string(hold.count()) +
                                            " ms for the next component");
        auto old = std::exchange(g, nullptr);
        old->stop();
        self->publish();
        done("");
        if (hold.count() <= 0)
            return;
        self->hold_timer_ = std::make_unique<asio::steady_timer>(self->strand_, hold);
        self->hold_timer_->async_wait(
            [weak = std::weak_ptr<slot>(self)](boost::system::error_code ec) {
                auto s = weak.lock();
                if (ec || !s || !s->hold_timer_)
                    return;
                if (!s->held_.empty())
                    s->ctx_.log(log_level::warn, "slot " + s->name_ + ": no component came; " +
                                                     std::to_string(s->held_.size()) +
                                                     " held calls find the slot empty");
                s->release_held();
            });
    });
}

void slot::hand_over(std::shared_ptr<slot> next) {
    asio::post(strand_, [self = shared_from_this(), next = std::move(next)] {
        if (self->hold_timer_)
            self->hold_timer_->cancel();
        self->hold_timer_.reset();
        for (auto& fn : std::exchange(self->held_, {}))
            next->with(std::move(fn));
        if (auto old = std::exchange(self->current_, nullptr)) {
            self->ctx_.log(log_level::info,
                           "slot " + self->name_ + ": a plugin replaces " + self->log_name(*old));
            old->stop();
            self->publish();
        }
    });
}

void slot::stop_holding() {
    asio::post(strand_, [self = shared_from_this()] {
        if (self->hold_timer_)
            self->hold_timer_->cancel();
        self->hold_timer_.reset();
        self->held_.clear();
    });
}

void slot::drop_instances() {
    for (auto& g : {current_, draining_, retired_.lock()})
        if (g)
            g->drop_instance();
}

void slot::release_held() {
    if (hold_timer_)
        hold_timer_->cancel();
    hold_timer_.reset();
    auto held = std::exchange(held_, {});
    for (auto& fn : held)
        fn(current_ ? &current_->instance() : nullptr);
}

void slot::execute(method_call call, provider::done_fn done) {
    asio::post(strand_, [self = shared_from_this(), call = std::move(call),
                         done = std::move(done)]() mutable {
        auto gen = self->current_;
        auto* p = gen ? dynamic_cast<provider*>(&gen->instance()) : nullptr;
        if (!p) {
            task_result r;
            r.task_id = call.task_id;
            r.error = task_error{error_code::no_provider, "slot " + self->name_ + " is empty", true};
            return done(std::move(r));
        }
        ++gen->in_flight;
        gen->calls.insert(call.task_id);
        auto once = std::make_shared<std::atomic<bool>>(false);
        // The completion may come on any thread; the bookkeeping happens on the strand.
        provider::done_fn finish = [self, gen, once, id = call.task_id,
                                    done = std::move(done)](task_result r) {
            if (once->exchange(true))
                return;
            asio::post(self->strand_, [self, gen, id, done, r = std::move(r)]() mutable {
                --gen->in_flight;
                if (auto it = gen->calls.find(id); it != gen->calls.end())
                    gen->calls.erase(it);
                if (gen == self->draining_ && gen->in_flight == 0)
                    self->drained(gen);
                done(std::move(r));
            });
        };
        try {
            p->execute(std::move(call), finish);
        } catch (...) {
            task_result r;
            r.error = task_error{error_code::plugin_error,
                                 "execute() threw: " + what_of(std::current_exception()), true};
            finish(std::move(r));
        }
    });
}

void slot::publish() {
    std::vector<generation_view> v;
    for (const auto* g : {current_.get(), draining_.get()}) {
        if (!g)
            continue;
        generation_view gv;
        gv.number = g->number();
        gv.name = g->name();
        gv.version = g->version();
        gv.file = g->file();
        gv.mapped = g->mapped();
        gv.remote = g->remote();
        gv.loaded_at = g->loaded_at();
        gv.swap_pause_ms = g->swap_pause_ms;
        gv.draining = g == draining_.get();
        gv.in_flight = g->in_flight;
        v.push_back(std::move(gv));
    }
    std::lock_guard lock(view_mutex_);
    view_ = std::move(v);
    view_current_ = current_;
}

std::vector<generation_view> slot::view() const {
    std::lock_guard lock(view_mutex_);
    return view_;
}

std::map<std::string, double> slot::gauges() const {
    std::shared_ptr<generation> g;
    {
        std::lock_guard lock(view_mutex_);
        g = view_current_;
    }
    return g ? g->gauges() : std::map<std::string, double>{};
}

} // namespace gleitzeit::plugins
