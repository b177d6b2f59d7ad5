#include "follow.hpp"

#include "report.hpp"

#include <iostream>
#include <thread>

namespace gleitzeit::cli {

namespace json = boost::json;

void follower::listen(hub_connection& hub) {
    hub.on_event([this](const std::string& event, const json::object& payload) {
        on_event(event, payload);
    });
}

void follower::follow(std::string id) {
    id_ = std::move(id);
    for (auto& [event, payload] : std::exchange(early_, {}))
        on_event(event, payload);
}

void follower::on_event(const std::string& event, const json::object& payload) {
    // The reply names the workflow; events that come before it wait until it is known.
    if (id_.empty())
        return void(early_.emplace_back(event, payload));
    if (string_field(payload, "workflow_id") != id_)
        return;
    // A replay after a reconnect starts after the last event seen; a seq not over it was
    // seen already. task_progress has no seq and is never replayed.
    if (const auto* seq = payload.if_contains("seq"); seq && seq->is_int64()) {
        if (seq->get_int64() <= last_seq_)
            return;
        last_seq_ = seq->get_int64();
    }
    view_.on_event(event, payload);
}

namespace {

/// A new connection to the hub that watches `f`'s workflow from its last event on; throws
/// command_error when the hub is not back within the window.
std::unique_ptr<hub_connection> reconnect(const global_options& g, follower& f,
                                          const std::string& why) {
    std::cerr << "gleitzeit: lost the connection to the hub at " << g.url << " (" << why
              << "); trying again for up to " << reconnect_window.count() << " s\n";
    const auto deadline = std::chrono::steady_clock::now() + reconnect_window;
    std::string last_error = why;
    while (std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        auto hub = std::make_unique<hub_connection>(g);
        f.listen(*hub);
        try {
            hub->connect();
            auto reply = require_ok(hub->ask(
                "watch_workflow", json::object{{"workflow_id", f.id()}, {"since", f.last_seq()}}));
            const auto* replayed = reply.if_contains("replayed");
            std::cerr << "gleitzeit: reconnected; "
                      << (replayed && replayed->is_int64() ? replayed->get_int64() : 0)
                      << " events of workflow " << f.id() << " came meanwhile\n";
            return hub;
        } catch (const command_error& e) {
            // Unreachable: the hub is not back yet. Anything else (the workflow unknown to a
            // hub that lost it) will not change by waiting.
            if (e.exit() != exit_code::unreachable)
                throw;
            last_error = e.what();
        }
    }
    throw command_error(exit_code::unreachable,
                        "the hub at " + g.url + " did not come back within " +
                            std::to_string(reconnect_window.count()) + " s (" + last_error +
                            "); workflow " + f.id() + " may still be running (gleitzeit status " +
                            f.id() + ")");
}

} // namespace

void follow_to_end(const global_options& g, std::unique_ptr<hub_connection>& hub, follower& f) {
    auto& view = f.view();
    for (;;) {
        auto outcome = hub->wait([&] { return view.ended(); }, [&] { view.tick(); });
        if (outcome == hub_connection::wait_result::done)
            return;
        if (outcome == hub_connection::wait_result::interrupted)
            throw command_error(exit_code::interrupted,
                                "interrupted; workflow " + f.id() + " goes on running on the hub "
                                "(gleitzeit status " + f.id() + ", gleitzeit cancel " + f.id() + ")");
        const auto why = hub->lost_reason();
        hub.reset(); // the old one first: it would hear the replay too
        hub = reconnect(g, f, why);
    }
}

void follow_to_outcome(const global_options& g, std::unique_ptr<hub_connection>& hub, follower& f,
                       run_outcome& out, bool wait) {
    try {
        if (wait)
            follow_to_end(g, hub, f);
    } catch (const command_error&) {
        f.view().finish(); // the progress line gives way to the error
        throw;
    }
    f.view().finish();
    take_outcome(*hub, f.view(), out);
}

} // namespace gleitzeit::cli
