#include "completion.hpp"

#include <algorithm>
#include <sstream>
#include <vector>

namespace gleitzeit::cli {
namespace {

/// "--url --token -v ...": every name of the options of `app` and then of `also` that is not
/// there already (exec's own --timeout and the global one are one word), positionals left out.
std::string option_names(const CLI::App& app, const CLI::App* also = nullptr) {
    std::vector<std::string> names;
    for (const auto* a : {&app, also})
        if (a)
            for (const auto* o : a->get_options()) {
                std::vector<std::string> mine;
                for (const auto& l : o->get_lnames())
                    mine.push_back("--" + l);
                for (const auto& s : o->get_snames())
                    mine.push_back("-" + s);
                for (auto& n : mine)
                    if (std::find(names.begin(), names.end(), n) == names.end())
                        names.push_back(std::move(n));
            }
    std::string out;
    for (const auto& n : names)
        out += (out.empty() ? "" : " ") + n;
    return out;
}

/// What a command's positional argument is: workflow files, a directory, or nothing known.
std::string argument_kind(const std::string& command) {
    if (command == "run" || command == "submit" || command == "validate")
        return "workflow";
    if (command == "batch")
        return "directory";
    if (command == "swap")
        return "file";
    return "";
}

} // namespace

std::string bash_completion(const CLI::App& app) {
    std::ostringstream out;
    std::string commands;
    for (const auto* c : app.get_subcommands({}))
        commands += (commands.empty() ? "" : " ") + c->get_name();
    out << "# bash completion for gleitzeit, made by `gleitzeit completion bash`\n"
           "_gleitzeit() {\n"
           "    local cur=${COMP_WORDS[COMP_CWORD]} cmd= i\n"
           "    for ((i = 1; i < COMP_CWORD; i++)); do\n"
           "        case ${COMP_WORDS[i]} in\n"
           "        "
        << [&] {
               std::string alternatives = commands;
               for (auto& ch : alternatives)
                   if (ch == ' ')
                       ch = '|';
               return alternatives;
           }()
        << ") cmd=${COMP_WORDS[i]}; break ;;\n"
           "        esac\n"
           "    done\n"
           "    local global=\""
        << option_names(app)
        << "\" words= kind=\n"
           "    case $cmd in\n"
           "    \"\") words=\"" << commands << " $global\" ;;\n";
    for (const auto* c : app.get_subcommands({}))
        out << "    " << c->get_name() << ") words=\"" << option_names(*c, &app) << "\" kind="
            << argument_kind(c->get_name()) << " ;;\n";
    out << "    esac\n"
           "    if [[ $cur == -* || -z $kind ]]; then\n"
           "        mapfile -t COMPREPLY < <(compgen -W \"$words\" -- \"$cur\")\n"
           "    elif [[ $kind == workflow ]]; then\n"
           "        compopt -o filenames 2>/dev/null\n"
           "        mapfile -t COMPREPLY < <(compgen -f -- \"$cur\" | grep -E '\\.(ya?ml|toml|json)$'; "
           "compgen -d -- \"$cur\")\n"
           "    elif [[ $kind == directory ]]; then\n"
           "        compopt -o filenames 2>/dev/null\n"
           "        mapfile -t COMPREPLY < <(compgen -d -- \"$cur\")\n"
           "    else\n"
           "        compopt -o filenames 2>/dev/null\n"
           "        mapfile -t COMPREPLY < <(compgen -f -- \"$cur\")\n"
           "    fi\n"
           "}\n"
           "complete -F _gleitzeit gleitzeit\n";
    return out.str();
}

} // namespace gleitzeit::cli
