// queue_memory's state handoff (gleitzeit/handoff.hpp): the snapshot is the entries as they
// are at begin_handoff, written off the strand; the journal carries what changed meanwhile.

#include "queue_memory.hpp"
#include "queue_state.hpp"

#include <boost/json/array.hpp>

namespace gleitzeit {

namespace json = boost::json;
using namespace queue_memory_detail;

state_handoff::snapshot_fn queue_memory::begin_handoff(const std::vector<std::string>& accepted) {
    if (journal_)
        throw error(error_code::internal, "queue-memory: a handoff is already in progress");
    auto format = format_for(accepted);
    auto tasks = tasks_->unordered();
    journal_.emplace();
    journal_lost_ = false;
    handoff_format_ = format;
    // Entries erased from now on stay readable until the handoff ends.
    tasks_->hold_erased();
    return [format, tasks = std::move(tasks), stats = counters{enqueued_total_, dequeued_total_}] {
        return write_state(format, in_order(tasks), stats);
    };
}

void queue_memory::journal(bool added, std::string_view text) {
    if (!journal_ || journal_lost_)
        return;
    try {
        journal_->push_back({added, std::string(text)});
    } catch (...) {
        journal_lost_ = true; // the queue changed all the same; the handoff cannot finish
    }
}

json::object queue_memory::finish_handoff() {
    if (!journal_)
        throw error(error_code::internal, "queue-memory: finish_handoff without a handoff");
    auto changes = std::move(*journal_);
    const bool lost = journal_lost_;
    abandon_handoff();
    if (lost)
        throw error(error_code::plugin_error,
                    "queue-memory: a change during the handoff could not be journaled");
    json::object out;
    out.reserve(3);
    out.emplace("format", handoff_format_);
    auto& list = out["changes"].emplace_array();
    list.reserve(changes.size());
    for (auto& c : changes)
        list.push_back(json::array{c.added ? "+" : "-", json::string(std::move(c.text))});
    if (handoff_format_ == format_v2)
        out["stats"] = {{"enqueued_total", enqueued_total_},
                        {"dequeued_total", dequeued_total_}};
    return out;
}

void queue_memory::abandon_handoff() noexcept {
    journal_.reset();
    journal_lost_ = false;
    tasks_->release_held();
}

void queue_memory::import_changes(const json::object& changes) {
    const auto* format = changes.if_contains("format");
    const auto* name = format ? format->if_string() : nullptr;
    const bool v2 = name && *name == format_v2 && format_ >= 2;
    if (!name || (*name != format_v1 && !v2))
        throw error(error_code::state_format,
                    "queue-memory: changes in a format it does not read; it reads " +
                        join(state_formats()));
    static constexpr std::array<std::string_view, 2> v1_keys{"format", "changes"};
    static constexpr std::array<std::string_view, 3> v2_keys{"format", "changes", "stats"};
    if (v2)
        expect_keys(changes, v2_keys, "changes ");
    else
        expect_keys(changes, v1_keys, "changes ");
    const auto* list = changes.at("changes").if_array();
    if (!list)
        refuse("changes.changes is not an array");
    // Applied in place: a throw discards this generation, so a half-applied list is harmless.
    for (std::size_t i = 0; i < list->size(); ++i) {
        const auto* change = (*list)[i].if_array();
        const auto* op = change && change->size() == 2 ? (*change)[0].if_string() : nullptr;
        const auto* text = op ? (*change)[1].if_string() : nullptr;
        const auto at = "changes[" + std::to_string(i) + "]";
        if (!text || (*op != "+" && *op != "-"))
            refuse(at + " is not [\"+\", record] or [\"-\", task id]");
        const std::string_view value{text->data(), text->size()};
        if (*op == "+")
            import_record(value, "changes", i, std::nullopt, scanner_, *tasks_);
        else if (!tasks_->erase(value))
            refuse(at + " removes task '" + std::string(value) + "', which is not queued");
    }
    if (v2) {
        const auto* stats = changes.at("stats").if_object();
        if (!stats)
            refuse("changes.stats is not an object");
        enqueued_total_ = counter(*stats, "enqueued_total");
        dequeued_total_ = counter(*stats, "dequeued_total");
    }
}

} // namespace gleitzeit
