// query_status of a workflow this run of the hub does not hold: one that finished before a
// restart or an upgrade, or that keep_finished let go. The persistence slot answers if its
// plugin keeps an archive (gleitzeit/archive.hpp); the reply is the same as for a workflow
// in memory.

#include "hub/pipeline_state.hpp"
#include "hub/reply.hpp"
#include "hub/workflow_book.hpp"
#include "hub/workflow_status.hpp"

#include <gleitzeit/archive.hpp>
#include <gleitzeit/persistence.hpp>

namespace gleitzeit::hub {

namespace json = boost::json;

void pipeline::state::status_from_archive(const std::string& id,
                                          const std::optional<std::string>& task_id,
                                          std::function<void(json::object)> reply) {
    slot.with<persistence>([self = shared_from_this(), id, task_id,
                            reply = std::move(reply)](persistence* store) {
        auto* archive = store ? self->slot.archive_of(*store) : nullptr;
        if (!archive)
            return reply(failure(error_code::not_found, "no workflow '" + id + "'"));
        try {
            auto w = archive->load_workflow(id);
            if (!w)
                return reply(failure(error_code::not_found, "no workflow '" + id + "'"));
            // A saved task without the workflow's qualifier, and its result if it has one.
            auto load = [&](task saved) {
                std::optional<task_result> r;
                if (terminal(saved.state))
                    r = store->load_result(saved.id); // the store's ids are qualified
                if (!r)
                    r.emplace();
                return std::pair{unqualified(std::move(saved)), std::move(*r)};
            };
            if (task_id) {
                for (auto& saved : w->tasks)
                    if (saved.id == qualified(id, *task_id)) {
                        auto [t, r] = load(std::move(saved));
                        return reply(task_reply(id, *task_id, task_status(t, r.result, r.error)));
                    }
                return reply(failure(error_code::not_found,
                                     "workflow '" + id + "' has no task '" + *task_id + "'"));
            }
            workflow_status out(self->max_result);
            for (auto& saved : w->tasks) {
                auto [t, r] = load(std::move(saved));
                out.add(t.id, t, r.result, r.error);
            }
            reply(std::move(out).reply(*w));
        } catch (const std::exception& e) {
            reply(failure(error_code::internal, "workflow '" + id +
                                                    "' is not in memory, and the persistence slot "
                                                    "failed to read it: " +
                                                    e.what()));
        }
    });
}

} // namespace gleitzeit::hub
