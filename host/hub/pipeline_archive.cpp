// query_status of a workflow this run of the hub does not hold: one that finished before a
// restart or an upgrade, or that keep_finished let go. The persistence slot answers if its
// plugin keeps an archive (gleitzeit/archive.hpp); the reply is the same as for a workflow
// in memory.

#include "hub/pipeline_state.hpp"
#include "hub/reply.hpp"
#include "hub/workflow_book.hpp"

#include <gleitzeit/archive.hpp>
#include <gleitzeit/persistence.hpp>

namespace gleitzeit::hub {

namespace json = boost::json;

void pipeline::state::status_from_archive(const std::string& id,
                                          std::function<void(json::object)> reply) {
    slot.with<persistence>([self = shared_from_this(), id,
                            reply = std::move(reply)](persistence* store) {
        auto* archive = store ? self->slot.archive_of(*store) : nullptr;
        if (!archive)
            return reply(failure(error_code::not_found, "no workflow '" + id + "'"));
        try {
            auto w = archive->load_workflow(id);
            if (!w)
                return reply(failure(error_code::not_found, "no workflow '" + id + "'"));
            json::object tasks;
            for (auto& saved : w->tasks) {
                std::optional<task_result> r;
                if (terminal(saved.state))
                    r = store->load_result(saved.id); // the store's ids are qualified
                auto t = unqualified(std::move(saved));
                tasks[t.id] =
                    task_status(t, r ? r->result : std::nullopt, r ? r->error : std::nullopt);
            }
            reply(workflow_status(*w, std::move(tasks)));
        } catch (const std::exception& e) {
            reply(failure(error_code::internal, "workflow '" + id +
                                                    "' is not in memory, and the persistence slot "
                                                    "failed to read it: " +
                                                    e.what()));
        }
    });
}

} // namespace gleitzeit::hub
