#pragma once
// What the conversion of an original workflow file knows while it works: the file's positions,
// for errors and warnings, and each task's id, name and protocol, for the references.
// Shared by original_format.cpp and original_references.cpp.

#include "workflow_file.hpp"
#include "yaml_file.hpp"

#include <boost/json/value.hpp>

#include <map>
#include <unordered_map>
#include <unordered_set>
#include <string>
#include <vector>

namespace gleitzeit::cli::original {

struct task_names {
    std::string id;
    std::string name;
    std::string protocol;
    std::vector<std::string> dependencies; // ids, in the file's order
    std::unordered_set<std::string> depends; // the same, to look up
};

struct context {
    const yaml_document& doc;
    const std::string& source;
    std::vector<std::string> warnings;
    std::vector<task_names> tasks;
    // Indexes into `tasks`: a batch has thousands, each referred to by the final task.
    std::unordered_map<std::string, std::size_t> by_id, by_name;
    /// Places of what the file does not write itself: a batch's tasks are at its template.
    std::map<std::string, std::string> extra_where;

    /// "file:line:column" of the value at `path`, or of the nearest enclosing one.
    std::string at(std::string path) const;
    [[noreturn]] void fail(const std::string& path, const std::string& why) const {
        throw workflow_file_error(at(path) + ": " + why);
    }
    /// A warning about the map entry at `path`, placed at its key.
    void warn(const std::string& path, const std::string& why) {
        auto key = doc.key_where.find(path);
        warnings.push_back((key != doc.key_where.end() ? source + ":" + key->second : at(path)) +
                           ": warning: " + why);
    }
    /// The id of the task that `ref` names: by name first, as the original looks it up, then
    /// by id. Null if none.
    const task_names* find(const std::string& ref) const;
    const task_names* find_id(const std::string& id) const;
    /// Whether `self` depends on task `id`, directly or through other tasks.
    bool depends_on(const task_names& self, const std::string& id) const;
};

/// A batch workflow (type: batch) as the workflow of tasks it stands for, still in the
/// original format: one task per matching file, and the final task if there is one.
boost::json::object expand_batch(context& c, const boost::json::object& root);

/// Rewrites every ${...} in the strings of `params` (at `path`) of task `self` into the
/// hub's ${<id>.result...}; refuses a reference to a task that is not a dependency.
void map_references(context& c, const task_names& self, boost::json::value& params,
                    const std::string& path);

} // namespace gleitzeit::cli::original
