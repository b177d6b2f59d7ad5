#include "original_format.hpp"

#include "original_context.hpp"
#include "toml/reader.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <functional>
#include <map>
#include <set>
#include <unordered_set>
#include <string_view>

namespace gleitzeit::cli {
namespace {

namespace json = boost::json;
using original::context;
using original::task_names;

const std::vector<std::string_view> workflow_fields{
    "id",      "name",    "description",         "version", "metadata",
    "timeout", "on_failure", "wait_for_completion", "tasks", "providers"};
const std::vector<std::string_view> task_fields{
    "id",       "name",         "method",   "protocol", "params", "parameters",
    "dependencies", "priority", "timeout", "retry",    "metadata"};
const std::vector<std::string_view> retry_fields{"max_attempts", "backoff", "base_delay",
                                                 "max_delay", "jitter"};

std::string join(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string kind(const json::value& v) {
    switch (v.kind()) {
    case json::kind::null: return "nothing";
    case json::kind::bool_: return "a boolean";
    case json::kind::int64:
    case json::kind::uint64: return "an integer";
    case json::kind::double_: return "a number";
    case json::kind::string: return "a string";
    case json::kind::array: return "a list";
    case json::kind::object: return "a map";
    }
    return "a value";
}

void warn_unknown(context& c, const json::object& o, const std::string& path,
                  const std::vector<std::string_view>& known, std::string_view what) {
    for (const auto& [key, value] : o)
        if (std::find(known.begin(), known.end(), key) == known.end())
            c.warn(join(path, key), "unknown " + std::string(what) + " field '" +
                                        std::string(key) + "', ignored" +
                                        toml_file::did_you_mean(key, known));
}

const json::string* text(context& c, const json::object& o, const std::string& path,
                         std::string_view key) {
    const auto* v = o.if_contains(key);
    if (!v)
        return nullptr;
    if (!v->is_string())
        c.fail(join(path, key), std::string(key) + " must be a string, not " + kind(*v));
    return &v->get_string();
}

/// A number of seconds, sent as written (an integer stays one).
json::value seconds(context& c, const json::object& o, const std::string& path,
                    std::string_view key, double lo) {
    const auto& v = o.at(key);
    if (!v.is_number() || v.is_bool())
        c.fail(join(path, key), std::string(key) + " must be a number of seconds, not " + kind(v));
    if (v.to_number<double>() < lo) {
        char at_least[32];
        std::snprintf(at_least, sizeof at_least, "%g", lo);
        c.fail(join(path, key), std::string(key) + " must be at least " + at_least + " seconds");
    }
    return v;
}

const json::object& map_of(context& c, const json::value& v, const std::string& path,
                           std::string_view what) {
    if (!v.is_object())
        c.fail(path, std::string(what) + " must be a map, not " + kind(v));
    return v.get_object();
}

std::string priority_of(context& c, const json::value& v, const std::string& path) {
    if (v.is_int64()) {
        switch (v.get_int64()) {
        case 1: return "high";
        case 2: return "normal";
        case 3: return "low";
        }
        c.fail(path, "priority " + std::to_string(v.get_int64()) +
                         " is not 1 (high), 2 (normal) or 3 (low)");
    }
    if (!v.is_string())
        c.fail(path, "priority must be 1, 2, 3 or a name, not " + kind(v));
    std::string name(v.get_string());
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    for (const char* known : {"urgent", "high", "normal", "low"})
        if (name == known)
            return name;
    c.fail(path, "priority '" + std::string(v.get_string()) +
                     "' is not urgent, high, normal or low");
}

/// The original's retry block with its defaults, in the hub's fields.
json::object retry_of(context& c, const json::value& v, const std::string& path) {
    const auto& o = map_of(c, v, path, "retry");
    warn_unknown(c, o, path, retry_fields, "retry");
    json::object r{{"max_attempts", 3}, {"backoff", "exponential"}, {"base_delay", 1},
                   {"max_delay", 300}, {"jitter", 0.2}};
    if (const auto* n = o.if_contains("max_attempts")) {
        if (!n->is_int64() || n->get_int64() < 1)
            c.fail(join(path, "max_attempts"), "max_attempts must be an integer of at least 1");
        r["max_attempts"] = n->get_int64();
    }
    if (const auto* b = text(c, o, path, "backoff")) {
        if (*b != "exponential" && *b != "linear" && *b != "fixed")
            c.fail(join(path, "backoff"), "backoff '" + std::string(*b) +
                                              "' is not exponential, linear or fixed");
        r["backoff"] = *b;
    }
    for (const char* key : {"base_delay", "max_delay"})
        if (o.contains(key))
            r[key] = seconds(c, o, path, key, 0);
    if (const auto* j = o.if_contains("jitter")) {
        // The original adds 10 to 30 % to a delay when jitter is on.
        if (!j->is_bool())
            c.fail(join(path, "jitter"), "jitter must be true or false, not " + kind(*j));
        r["jitter"] = j->get_bool() ? 0.2 : 0.0;
    }
    return r;
}

/// "llm/chat" is protocol llm/v1, method chat; a method without "/" is python/v1.
void protocol_and_method(context& c, const json::object& t, const std::string& path,
                         json::object& out) {
    const auto* m = text(c, t, path, "method");
    if (!m || m->empty())
        c.fail(path, "the task has no method (e.g. llm/chat, python/execute, mcp/tool.echo)");
    std::string method(*m);
    std::string protocol;
    if (const auto* p = text(c, t, path, "protocol"))
        protocol = *p;
    const auto slash = method.find('/');
    if (protocol.empty())
        protocol = slash == std::string::npos ? "python/v1" : method.substr(0, slash) + "/v1";
    // The original keeps "llm/chat" whole; our providers name the method alone.
    const auto family = protocol.substr(0, protocol.find('/'));
    if (slash != std::string::npos && method.compare(0, slash, family) == 0)
        method.erase(0, slash + 1);
    out["protocol"] = protocol;
    out["method"] = method;
}

/// Ids and names first: a dependency or a reference may name a later task.
void collect_tasks(context& c, const json::array& tasks) {
    std::set<std::string> taken;
    for (const auto& v : tasks)
        if (const auto* o = v.if_object())
            if (const auto* id = o->if_contains("id"); id && id->is_string())
                taken.insert(std::string(id->get_string()));
    std::set<std::string> seen;
    int next = 1;
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        const auto path = "tasks[" + std::to_string(i) + "]";
        const auto& t = map_of(c, tasks[i], path, "a task");
        task_names n;
        if (const auto* id = text(c, t, path, "id"))
            n.id = *id;
        else
            do
                n.id = "task-" + std::to_string(next++);
            while (taken.count(n.id));
        if (!seen.insert(n.id).second)
            c.fail(join(path, "id"), "duplicate task id '" + n.id + "'");
        if (const auto* name = text(c, t, path, "name"))
            n.name = *name;
        json::object call;
        protocol_and_method(c, t, path, call);
        n.protocol = std::string(call["protocol"].as_string());
        c.by_id.emplace(n.id, c.tasks.size());
        if (!n.name.empty())
            c.by_name.emplace(n.name, c.tasks.size()); // the first of a name, as the original
        c.tasks.push_back(std::move(n));
    }
}

/// The original's llm/vision takes chat messages; ours a prompt (docs/providers/llm.md): the
/// last user message's text is the prompt, a system message the system text, and images
/// carried by messages join `images`.
void vision_from_messages(json::object& params) {
    const auto* messages = params.if_contains("messages");
    if (!messages || !messages->is_array() || params.contains("prompt"))
        return;
    json::array images;
    if (const auto* given = params.if_contains("images"); given && given->is_array())
        images = given->get_array();
    std::string prompt, system;
    for (const auto& m : messages->get_array()) {
        const auto* o = m.if_object();
        const auto* content = o ? o->if_contains("content") : nullptr;
        if (!content || !content->is_string())
            continue;
        const auto* role = o->if_contains("role");
        if (role && *role == "system")
            system = content->get_string();
        else if (!role || *role == "user")
            prompt = content->get_string();
        if (const auto* more = o->if_contains("images"); more && more->is_array())
            for (const auto& image : more->get_array())
                images.push_back(image);
    }
    params.erase("messages");
    params["prompt"] = prompt;
    if (!system.empty() && !params.contains("system"))
        params["system"] = system;
    if (!images.empty())
        params["images"] = std::move(images);
}

/// Task i's dependencies as ids, each once, before any task is converted: a reference may
/// reach a task through another's dependencies.
void read_dependencies(context& c, const json::object& t, std::size_t i) {
    const auto path = "tasks[" + std::to_string(i) + "]";
    auto& self = c.tasks[i];
    const auto* deps = t.if_contains("dependencies");
    if (!deps)
        return;
    if (!deps->is_array())
        c.fail(join(path, "dependencies"), "dependencies must be a list, not " + kind(*deps));
    for (std::size_t k = 0; k < deps->get_array().size(); ++k) {
        const auto at = join(path, "dependencies") + "[" + std::to_string(k) + "]";
        const auto& d = deps->get_array()[k];
        if (!d.is_string())
            c.fail(at, "a dependency must be a task's id or name, not " + kind(d));
        const auto* dep = c.find(std::string(d.get_string()));
        if (!dep)
            c.fail(at, "no task has the id or name '" + std::string(d.get_string()) + "'");
        if (dep->id == self.id)
            c.fail(at, "task '" + self.id + "' depends on itself");
        if (self.depends.insert(dep->id).second)
            self.dependencies.push_back(dep->id);
    }
}

json::object task_of(context& c, const json::object& t, std::size_t i) {
    const auto path = "tasks[" + std::to_string(i) + "]";
    auto& self = c.tasks[i];
    json::object out{{"id", self.id}};
    if (!self.name.empty())
        out["name"] = self.name;
    protocol_and_method(c, t, path, out);
    if (t.contains("dependencies")) {
        json::array ids;
        for (const auto& id : self.dependencies)
            ids.push_back(json::string(id));
        out["dependencies"] = std::move(ids);
    }
    if (const auto* p = t.if_contains("priority"))
        out["priority"] = priority_of(c, *p, join(path, "priority"));
    if (t.contains("timeout"))
        out["timeout"] = seconds(c, t, path, "timeout", 0.001);
    if (const auto* r = t.if_contains("retry"))
        out["retry"] = retry_of(c, *r, join(path, "retry"));
    if (const auto* m = t.if_contains("metadata"))
        out["metadata"] = map_of(c, *m, join(path, "metadata"), "metadata");
    // The original takes params when both are there.
    const char* key = t.contains("params") ? "params" : "parameters";
    if (t.contains("params") && t.contains("parameters"))
        c.warn(join(path, "parameters"), "both params and parameters: parameters is ignored");
    json::value params = json::object();
    if (const auto* p = t.if_contains(key))
        params = map_of(c, *p, join(path, key), key);
    original::map_references(c, self, params, join(path, key));
    if (out["protocol"] == "llm/v1" && out["method"] == "vision")
        vision_from_messages(params.as_object());
    out["params"] = std::move(params);
    return out;
}

/// Refuses a cycle of dependencies, at the dependencies of the first task on it.
void check_cycles(const context& c) {
    enum class mark { fresh, open, done };
    std::map<std::string, std::size_t> index;
    for (std::size_t i = 0; i < c.tasks.size(); ++i)
        index[c.tasks[i].id] = i;
    std::vector<mark> marks(c.tasks.size(), mark::fresh);
    std::vector<std::size_t> trail;
    std::function<void(std::size_t)> visit = [&](std::size_t i) {
        marks[i] = mark::open;
        trail.push_back(i);
        for (const auto& dep : c.tasks[i].dependencies) {
            const auto j = index.at(dep);
            if (marks[j] == mark::open) {
                std::string cycle;
                auto from = std::find(trail.begin(), trail.end(), j);
                for (auto it = from; it != trail.end(); ++it)
                    cycle += c.tasks[*it].id + " -> ";
                c.fail("tasks[" + std::to_string(j) + "].dependencies",
                       "dependency cycle: " + cycle + c.tasks[j].id);
            }
            if (marks[j] == mark::fresh)
                visit(j);
        }
        trail.pop_back();
        marks[i] = mark::done;
    };
    for (std::size_t i = 0; i < c.tasks.size(); ++i)
        if (marks[i] == mark::fresh)
            visit(i);
}

converted_workflow convert(context& c);

} // namespace

converted_workflow from_original(const yaml_document& doc, const std::string& source) {
    context c{doc, source, {}, {}, {}, {}, {}};
    try {
        return convert(c);
    } catch (workflow_file_error& e) {
        e.warnings = std::move(c.warnings);
        throw;
    }
}

namespace {

converted_workflow convert(context& c) {
    const auto& doc = c.doc;
    const auto* top = &map_of(c, doc.root, "", "a workflow file");
    json::object expanded;
    if (top->contains("batch") || top->contains("type")) {
        expanded = original::expand_batch(c, *top);
        top = &expanded;
    }
    const auto& root = *top;
    warn_unknown(c, root, "", workflow_fields, "workflow");
    json::object w;
    for (const char* key : {"id", "name", "description", "version", "on_failure"})
        if (root.contains(key)) {
            const auto& v = root.at(key);
            // A version is often written as a number (1.0): its text is the version.
            if (std::string_view(key) == "version" && v.is_number())
                w[key] = doc.number_text.at("version");
            else if (const auto* s = text(c, root, "", key))
                w[key] = *s;
        }
    if (const auto* m = root.if_contains("metadata"))
        w["metadata"] = map_of(c, *m, "metadata", "metadata");
    if (root.contains("timeout"))
        w["timeout"] = seconds(c, root, "", "timeout", 0.001);
    if (const auto* wait = root.if_contains("wait_for_completion"); wait && !wait->is_bool())
        c.fail("wait_for_completion", "wait_for_completion must be true or false, not " + kind(*wait));
    const auto* tasks = root.if_contains("tasks");
    if (!tasks || !tasks->is_array() || tasks->get_array().empty())
        c.fail(tasks ? "tasks" : "", tasks && !tasks->is_array()
                                         ? "tasks must be a list, not " + kind(*tasks)
                                         : std::string("the workflow has no tasks"));
    collect_tasks(c, tasks->get_array());
    for (std::size_t i = 0; i < tasks->get_array().size(); ++i) {
        const auto& t = tasks->get_array()[i].get_object();
        warn_unknown(c, t, "tasks[" + std::to_string(i) + "]", task_fields, "task");
        read_dependencies(c, t, i);
    }
    check_cycles(c);
    json::array out;
    for (std::size_t i = 0; i < tasks->get_array().size(); ++i)
        out.push_back(task_of(c, tasks->get_array()[i].get_object(), i));
    w["tasks"] = std::move(out);
    return {std::move(w), std::move(c.warnings)};
}

} // namespace

namespace original {

std::string context::at(std::string path) const {
    for (;;) {
        if (auto it = extra_where.find(path); it != extra_where.end())
            return it->second;
        if (auto it = doc.where.find(path); it != doc.where.end())
            return source + ":" + it->second;
        if (path.empty())
            return source + ":1:1";
        const auto cut = path.find_last_of(".[");
        path = cut == std::string::npos ? std::string() : path.substr(0, cut);
    }
}

bool context::depends_on(const task_names& self, const std::string& id) const {
    if (self.depends.count(id))
        return true;
    std::vector<const task_names*> todo{&self};
    std::unordered_set<std::string> seen;
    while (!todo.empty()) {
        const auto* t = todo.back();
        todo.pop_back();
        for (const auto& dep : t->dependencies) {
            if (dep == id)
                return true;
            if (seen.insert(dep).second)
                if (const auto* next = find_id(dep))
                    todo.push_back(next);
        }
    }
    return false;
}

const task_names* context::find_id(const std::string& id) const {
    auto it = by_id.find(id);
    return it == by_id.end() ? nullptr : &tasks[it->second];
}

const task_names* context::find(const std::string& ref) const {
    if (auto it = by_name.find(ref); it != by_name.end())
        return &tasks[it->second];
    return find_id(ref);
}

} // namespace original
} // namespace gleitzeit::cli
