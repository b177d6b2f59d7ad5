// gleitzeit: the command-line client of gleitzeitd. Submits and follows workflows, and shows
// and changes what the hub runs. The options and commands are defined here; what each
// command does is in commands.hpp.

#include "commands.hpp"
#include "completion.hpp"
#include "workflow_file.hpp"

#include <CLI/CLI.hpp>

#include <cmath>
#include <functional>
#include <map>
#include <iostream>
#include <string>
#include <string_view>

#ifndef GLEITZEIT_VERSION
#define GLEITZEIT_VERSION "0.0.0"
#endif

namespace {

using namespace gleitzeit::cli;

constexpr const char* global_footer =
    "\nThe global options --url, --token, --json and --timeout may also follow the command.";

constexpr const char* main_footer = R"(
Workflow files are YAML (.yaml, .yml: the original Gleitzeit's format), TOML (.toml) or JSON
(.json, or - for JSON on standard input).
Exit codes: 0 done; 1 the hub refused, or the workflow did not complete; 2 bad usage or a
workflow file refused before sending; 3 no connection, or no reply in time.
docs/cli.md has the details.)";

/// The options every command takes; --timeout is read into `timeout_s`.
void add_global_options(CLI::App& app, global_options& g, double& timeout_s) {
    app.add_option("--url", g.url, "the hub's address, http://HOST:PORT")
        ->envname("GLEITZEIT_URL")
        ->capture_default_str();
    app.add_option("--token", g.token,
                   "a token of the hub's [[auth.tokens]], sent in the Socket.IO auth payload")
        ->envname("GLEITZEIT_TOKEN");
    app.add_flag("--json", g.json,
                 "print the hub's replies as JSON, one object per line, for scripts");
    app.add_option("--timeout", timeout_s,
                   "seconds to wait for the connection and for each reply (a running workflow "
                   "is waited for without limit)")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
}

/// The positional arguments of the commands, filled by parsing.
struct command_arguments {
    std::string file, id, slot, path;
    bool verbose = false;
    bool watch = false;
    std::string code, name, type = "python", shell;
    double seconds = 10;
    batch_options batch;
};

/// Each command's --help ends with an example of it.
std::string example_of(std::string_view command) {
    static const std::map<std::string_view, const char*> examples{
        {"run", "gleitzeit run examples/hello.toml"},
        {"submit", "id=$(gleitzeit submit workflow.yaml)"},
        {"validate", "gleitzeit --json validate workflow.yaml"},
        {"exec", "gleitzeit exec 'result = sum(range(10))' --timeout 5"},
        {"batch", "gleitzeit batch docs --pattern '*.txt' --prompt 'Summarise this file.' "
                  "--output summaries.md"},
        {"init", "gleitzeit init \"Word Count\" --type mixed    # writes word_count.yaml"},
        {"status", "gleitzeit status wf-AbC123"},
        {"results", "gleitzeit --json results wf-AbC123"},
        {"cancel", "gleitzeit cancel wf-AbC123"},
        {"watch", "gleitzeit watch wf-AbC123"},
        {"components", "gleitzeit components"},
        {"plugins", "gleitzeit --token \"$ADMIN_TOKEN\" plugins"},
        {"swap", "gleitzeit swap queue /usr/lib/x86_64-linux-gnu/gleitzeit/plugins/queue-memory.so"},
        {"reload", "gleitzeit reload"},
        {"completion", "source <(gleitzeit completion bash)"},
    };
    auto it = examples.find(command);
    return it == examples.end() ? std::string() : "\nExample:\n  " + std::string(it->second) + "\n";
}

CLI::App* cli_command(CLI::App& app, const char* name, const char* about) {
    auto* c = app.add_subcommand(name, about);
    c->footer(example_of(name) + global_footer);
    return c;
}

/// exec, batch and init: workflows made from the command line.
void add_shortcut_commands(CLI::App& app, global_options& g, command_arguments& a,
                           std::function<int()>& action) {
    auto* exec = cli_command(app, "exec", "Run Python CODE on the hub (python/v1 execute) and print what "
                                 "it printed and the value it left in `result`.");
    exec->add_option("CODE", a.code, "Python source, e.g. 'result = sum(range(10))'")->required();
    // As the original's exec names it; the connection's --timeout goes before the command.
    exec->add_option("--timeout", a.seconds,
                     "seconds the code may run (default 10); the connection's --timeout goes "
                     "before exec");
    exec->callback([&] { action = [&] { return exec_command(g, a.code, a.seconds); }; });

    auto* batch = cli_command(app, "batch", "Ask an LLM about every file of DIR that matches --pattern, "
                                   "one task per file, and print each answer.");
    batch->add_option("DIR", a.batch.directory, "the directory, relative to here")->required();
    batch->add_option("--pattern", a.batch.pattern, "file names to take, with * ? [..] (default *)");
    batch->add_option("--prompt", a.batch.prompt, "what to ask about each file");
    batch->add_option("--model", a.batch.model, "the model (default: the provider's default_model)");
    batch->add_flag("--vision", a.batch.vision, "send images to llm/vision instead of text to llm/chat");
    batch->add_option("--output", a.batch.output,
                      "also write the answers to this file: JSON, or Markdown for a name ending in .md");
    batch->callback([&] { action = [&] { return batch_command(g, a.batch); }; });

    auto* init = cli_command(app, "init", "Write a starter workflow file NAME.yaml (lower case) here, "
                                 "ready to run.");
    init->add_option("NAME", a.name, "the workflow's name")->required();
    init->add_option("--type", a.type, "python (default), llm or mixed")
        ->check(CLI::IsMember({"python", "llm", "mixed"}));
    init->callback([&] { action = [&] { return init_command(a.name, a.type); }; });
}

/// status, results, watch and cancel: the commands about one workflow by its id.
void add_workflow_id_commands(CLI::App& app, global_options& g, command_arguments& a,
                              std::function<int()>& action) {
    auto command = [&](const char* name, const char* about) { return cli_command(app, name, about); };

    auto* status = command("status", "Show workflow ID's state and each task's state and attempt.");
    status->add_option("ID", a.id, "the workflow id that run or submit printed");
    status->callback([&] { action = [&] { return status_command(g, a.id); }; });

    auto* results = command("results", "Show each task of workflow ID with its result, or its "
                                       "error if it failed.");
    results->add_option("ID", a.id, "the workflow id that run or submit printed")->required();
    results->callback([&] { action = [&] { return results_command(g, a.id); }; });

    auto* watch = command("watch", "Follow workflow ID, whoever submitted it, from its first event "
                                   "to its end, live as run shows it; then each task's result. "
                                   "Exits 0 only if the workflow completed.");
    watch->add_option("ID", a.id, "the workflow id that run or submit printed")->required();
    watch->add_flag("--verbose,-v", a.verbose, "as run's --verbose");
    watch->callback([&] { action = [&] { return watch_command(g, a.id, a.verbose); }; });

    auto* cancel = command("cancel", "Cancel workflow ID: queued tasks are dropped, running ones "
                                     "are told to stop.");
    cancel->add_option("ID", a.id, "the workflow id that run or submit printed")->required();
    cancel->callback([&] { action = [&] { return cancel_command(g, a.id); }; });
}

/// The commands; parsing the command line sets `action` to the one it names.
void add_commands(CLI::App& app, global_options& g, command_arguments& a,
                  std::function<int()>& action) {
    auto command = [&](const char* name, const char* about) { return cli_command(app, name, about); };

    auto* run = command("run", "Submit the workflow in FILE, show its progress live, then each "
                               "task's result. Exits 0 only if the workflow completed.");
    run->add_option("FILE", a.file, "workflow file: .yaml or .yml (the original Gleitzeit's format), .toml, .json, or - for JSON on standard input")
        ->required();
    run->add_flag("--verbose,-v", a.verbose,
                  "on a terminal, a line per task event as well as the live line; and every "
                  "task's result at the end, however many there are");
    // The original's run showed progress only with --watch; here it is always live, and the
    // flag is taken so that a Gleitzeit user's habit still works.
    run->add_flag("--watch,-w", a.watch, "live progress (always on; the original's flag)");
    run->callback([&] { action = [&] { return run_command(g, a.file, a.verbose); }; });

    auto* submit =
        command("submit", "Submit the workflow in FILE and print its id; does not wait.");
    submit->add_option("FILE", a.file, "workflow file: .yaml or .yml (the original Gleitzeit's format), .toml, .json, or - for JSON on standard input")
        ->required();
    submit->callback([&] { action = [&] { return submit_command(g, a.file); }; });

    auto* validate = command("validate", "Check the workflow in FILE as run would read it; nothing "
                                         "is sent. With --json, print the workflow that run "
                                         "would send. Exits 0 if it reads, 2 (with "
                                         "file:line:column) if not.");
    validate->add_option("FILE", a.file, "workflow file: .yaml, .yml, .toml, .json, or - for JSON on standard input")
        ->required();
    validate->callback([&] { action = [&] { return validate_command(g, a.file); }; });

    add_workflow_id_commands(app, g, a, action);

    auto* components = command("components", "List the components the hub knows: in-process "
                                             "providers and connected remote components.");
    components->callback([&] { action = [&] { return components_command(g); }; });

    auto* plugins = command("plugins", "List the plugins of each slot, with generation, version "
                                       "and state (admin role).");
    plugins->callback([&] { action = [&] { return plugins_command(g); }; });

    auto* swap = command("swap", "Hot-swap SLOT to the plugin file PATH while the hub keeps "
                                 "serving (admin role).");
    swap->add_option("SLOT", a.slot, "queue, resolver, registry, persistence or provider")
        ->required();
    swap->add_option("PATH", a.path, "the plugin's .so file, as the hub's host sees it")->required();
    swap->callback([&] { action = [&] { return swap_command(g, a.slot, a.path); }; });

    auto* reload = command("reload", "Make the hub reload its config file and apply what changed "
                                     "(admin role).");
    reload->callback([&] { action = [&] { return reload_command(g); }; });
    add_shortcut_commands(app, g, a, action);

    auto* completion = command("completion", "Print the bash completion script of gleitzeit.");
    completion->add_option("SHELL", a.shell, "bash (the only one)")
        ->required()
        ->check(CLI::IsMember({"bash"}));
    completion->callback([&] {
        action = [&] {
            std::cout << bash_completion(app);
            return exit_code::ok;
        };
    });

}

} // namespace

int main(int argc, char** argv) {
    global_options g;
    std::function<int()> action;

    CLI::App app{"gleitzeit: submit and follow workflows on a Gleitzeit hub (gleitzeitd), and see "
                 "and change the plugins it runs.",
                 "gleitzeit"};
    app.set_version_flag("--version", GLEITZEIT_VERSION);
    app.footer(main_footer);
    app.require_subcommand(1);
    app.fallthrough(); // global options after the command, as in `gleitzeit run --json x.toml`

    double timeout_s = 10;
    add_global_options(app, g, timeout_s);
    command_arguments args;
    add_commands(app, g, args, action);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int code = app.exit(e);
        return code == 0 ? exit_code::ok : exit_code::usage;
    }
    g.timeout = std::chrono::milliseconds(static_cast<long long>(std::ceil(timeout_s * 1000)));

    try {
        return action();
    } catch (const command_error& e) {
        if (g.json && e.reply())
            print_json(*e.reply());
        std::cerr << "gleitzeit: " << e.what() << '\n';
        return e.exit();
    } catch (const std::exception& e) {
        std::cerr << "gleitzeit: " << e.what() << '\n';
        return exit_code::failed;
    }
}
