// watch_workflow (docs/events.md, "Following a workflow"): a client that reconnects, or that
// did not submit the workflow, gets every progress event after the last one it saw, in order,
// without a gap or a repeat, and then the live ones.
//
// The replay reads the persistence slot's event log (event_history). It goes in rounds: once
// everything told so far is durable, the events up to the workflow's last number are read
// and sent to the watcher alone; when a round finds nothing new, the watcher joins the room in
// that same job on the pipeline's strand, where every event is told, so the next live event
// is the next number. A workflow so busy that the rounds do not catch up joins after
// max_rounds, and then may get live events before the last replayed ones (each carries its
// seq).

#include "hub/pipeline_state.hpp"
#include "hub/reply.hpp"

#include <gleitzeit/archive.hpp>
#include <gleitzeit/persistence.hpp>

#include <limits>

namespace gleitzeit::hub {

namespace json = boost::json;

namespace {
constexpr std::size_t page_size = 2000;
constexpr int max_rounds = 100;
} // namespace

struct pipeline::state::watcher {
    std::string id;
    std::int64_t sent = 0; // the seq of the last event the watcher has
    std::function<void(const std::string&)> join;
    send_fn send;
    reply_fn reply;
    std::size_t replayed = 0;
    int rounds = 0;
    // Joined the room before catching up (max_rounds): the replay goes on up to `until`.
    bool joined = false;
    std::int64_t until = 0;
};

void pipeline::watch(const json::value& payload, std::function<void(const std::string&)> join,
                     send_fn send, reply_fn reply) {
    const auto* o = payload.if_object();
    const auto* id = o ? o->if_contains("workflow_id") : nullptr;
    const auto* since = o ? o->if_contains("since") : nullptr;
    if (!id || !id->is_string() || id->get_string().empty() ||
        (since && !(since->is_int64() && since->get_int64() >= 0) && !since->is_uint64()))
        return reply(failure(error_code::invalid_argument,
                             "watch_workflow needs {workflow_id, since?}: since is the seq of "
                             "the last event seen, an integer from 0"));
    auto w = std::make_shared<state::watcher>();
    w->id = std::string(id->get_string());
    if (since)
        w->sent = since->is_int64() ? since->get_int64() : std::numeric_limits<std::int64_t>::max();
    w->join = std::move(join);
    w->send = std::move(send);
    w->reply = std::move(reply);
    state_->on_strand([w](state& s) { s.watch_round(w); });
}

void pipeline::state::watch_round(std::shared_ptr<watcher> w) {
    after_saved([w](state& s) {
        auto* wf = s.book.find(w->id);
        // Held here: caught up once nothing is newer than what was sent. Not held (it
        // finished before a restart): everything the log has.
        const bool held = wf != nullptr;
        auto upto = held ? wf->event_seq : std::numeric_limits<std::int64_t>::max();
        if (w->joined)
            upto = w->until;
        if (held && !w->joined && (upto <= w->sent || ++w->rounds > max_rounds)) {
            w->join(room(w->id));
            w->joined = true;
            w->until = upto;
        }
        if (held && upto <= w->sent)
            return w->reply({{"ok", true},
                             {"workflow_id", w->id},
                             {"state", to_string(wf->w.state)},
                             {"replayed", w->replayed},
                             {"seq", std::max(upto, w->sent)}});
        const auto want = static_cast<std::size_t>(std::min<std::int64_t>(
            held ? upto - w->sent : std::numeric_limits<std::int64_t>::max(), page_size));
        s.slot.with<persistence>([self = s.shared_from_this(), w, held, want](persistence* p) {
            auto* history = dynamic_cast<event_history*>(p);
            std::vector<json::object> page;
            std::string error;
            bool known = held;
            try {
                if (history) {
                    page = history->load_events(w->id, w->sent, want);
                    known = known || !page.empty() || history->last_event_seq(w->id) > 0;
                }
            } catch (const std::exception& e) {
                error = e.what();
            }
            self->on_strand([w, page = std::move(page), error, known, history, want](
                                state& s) mutable {
                s.watch_page(w, std::move(page), error, known, history != nullptr, want);
            });
        });
    });
}

void pipeline::state::watch_page(std::shared_ptr<watcher> w, std::vector<json::object> page,
                                 const std::string& error, bool known, bool history,
                                 std::size_t want) {
    auto* wf = book.find(w->id);
    if (!error.empty())
        return w->reply(failure(error_code::internal, "cannot read the event log: " + error));
    if (!known)
        return w->reply(failure(error_code::not_found, "no workflow '" + w->id + "'"));
    for (auto& e : page) {
        const auto* name = e.if_contains("event");
        const auto* seq = e.if_contains("seq");
        if (!name || !name->is_string() || !seq || !seq->is_int64())
            continue;
        const std::string event(name->get_string());
        w->sent = seq->get_int64();
        e.erase("event");
        w->send(event, std::move(e));
        ++w->replayed;
    }
    if (!history && wf) { // nothing to replay from: live from now on
        w->join(room(w->id));
        return w->reply({{"ok", true},
                         {"workflow_id", w->id},
                         {"state", to_string(wf->w.state)},
                         {"replayed", 0},
                         {"seq", wf->event_seq},
                         {"history", false}});
    }
    // Held: round again until caught up. A log that has fewer than the hub told (events
    // saved without a persistence slot, before one was loaded) ends the replay where it ends.
    if (page.size() == want)
        return watch_round(std::move(w));
    if (wf) {
        if (!w->joined)
            w->join(room(w->id));
        return w->reply({{"ok", true},
                         {"workflow_id", w->id},
                         {"state", to_string(wf->w.state)},
                         {"replayed", w->replayed},
                         {"seq", w->sent}});
    }
    w->reply({{"ok", true}, {"workflow_id", w->id}, {"replayed", w->replayed}, {"seq", w->sent}});
}

} // namespace gleitzeit::hub
