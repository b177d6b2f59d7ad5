#include "yaml_file.hpp"

#include "workflow_file.hpp"

#include <yaml-cpp/yaml.h>

#include <boost/json/object.hpp>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string_view>

namespace gleitzeit::cli {
namespace {

namespace json = boost::json;

// Deeper than any workflow needs, and well within the stack: yaml-cpp stops at its own depth
// guard first for most shapes, this catches the rest (aliases nest without new text).
constexpr int max_depth = 200;

std::string at(const YAML::Mark& m) {
    return std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

bool one_of(std::string_view s, std::initializer_list<std::string_view> words) {
    for (auto w : words)
        if (s == w)
            return true;
    return false;
}

/// A plain (unquoted) scalar as YAML 1.1's core types read it, as PyYAML does.
json::value plain_scalar(const std::string& s) {
    if (one_of(s, {"", "~", "null", "Null", "NULL"}))
        return nullptr;
    if (one_of(s, {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"}))
        return true;
    if (one_of(s, {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"}))
        return false;
    std::string digits;
    for (char c : s)
        if (c != '_')
            digits += c;
    const char* b = digits.data();
    const char* e = b + digits.size();
    if (!digits.empty() && (digits[0] == '+'))
        ++b;
    std::int64_t i = 0;
    if (auto r = std::from_chars(b, e, i); r.ec == std::errc() && r.ptr == e && b != e)
        return i;
    // A float needs a digit, and a dot or an exponent: "1.5", "2e3"; not "1.2.3" or ".".
    bool digit = false, dot_or_exp = false;
    for (const char* p = b; p != e; ++p) {
        digit = digit || (*p >= '0' && *p <= '9');
        dot_or_exp = dot_or_exp || *p == '.' || *p == 'e' || *p == 'E';
    }
    double d = 0;
    if (digit && dot_or_exp)
        if (auto r = std::from_chars(b, e, d); r.ec == std::errc() && r.ptr == e && std::isfinite(d))
            return d;
    return json::string(s);
}

class converter {
public:
    converter(const std::string& source, yaml_document& doc, std::size_t max_values)
        : source_(source), doc_(doc), max_values_(max_values) {}

    json::value value(const YAML::Node& n, const std::string& path, int depth) {
        if (depth > max_depth)
            fail(n.Mark(), "nested deeper than " + std::to_string(max_depth) + " levels");
        if (++values_ > max_values_)
            fail(reached_,
                 "aliases expand to more than " + std::to_string(max_values_) + " values");
        reach(n.Mark());
        doc_.where.emplace(path, at(n.Mark()));
        switch (n.Type()) {
        case YAML::NodeType::Null:
        case YAML::NodeType::Undefined:
            return nullptr;
        case YAML::NodeType::Scalar: {
            if (n.Tag() != "?")
                return json::string(n.Scalar());
            auto v = plain_scalar(n.Scalar());
            if (v.is_number())
                doc_.number_text.emplace(path, n.Scalar());
            return v;
        }
        case YAML::NodeType::Sequence: {
            json::array a;
            std::size_t i = 0;
            for (const auto& e : n)
                a.push_back(value(e, path + "[" + std::to_string(i++) + "]", depth + 1));
            return a;
        }
        case YAML::NodeType::Map:
            return map(n, path, depth);
        }
        return nullptr;
    }

private:
    json::object map(const YAML::Node& n, const std::string& path, int depth) {
        if (depth > max_depth)
            fail(n.Mark(), "nested deeper than " + std::to_string(max_depth) + " levels");
        json::object o;
        std::map<std::string, YAML::Mark> seen;
        std::vector<const YAML::Node*> merges; // "<<: *base": its keys where this map has none
        std::vector<YAML::Node> keep;          // the merge nodes, alive while merges points at them
        for (auto it = n.begin(); it != n.end(); ++it) {
            if (!it->first.IsScalar())
                fail(it->first.Mark(), "a key must be a plain value, not a list or a map");
            const std::string key = it->first.Scalar();
            if (key == "<<" && it->first.Tag() == "?") {
                keep.push_back(it->second);
                continue;
            }
            if (auto [first, fresh] = seen.emplace(key, it->first.Mark()); !fresh)
                fail(it->first.Mark(), "duplicate key '" + key + "' (first at line " +
                                           std::to_string(first->second.line + 1) + ")");
            reach(it->first.Mark());
            const auto at_key = path.empty() ? key : path + "." + key;
            doc_.key_where.emplace(at_key, at(it->first.Mark()));
            o[key] = value(it->second, at_key, depth + 1);
        }
        for (const auto& m : keep) {
            std::vector<YAML::Node> bases;
            if (m.IsMap())
                bases.push_back(m);
            else if (m.IsSequence())
                for (const auto& b : m)
                    bases.push_back(b);
            for (const auto& b : bases) {
                if (!b.IsMap())
                    fail(b.Mark(), "a merge key (<<) takes a map or a list of maps");
                // A level of its own, so that a map merging a list that holds it ends.
                for (auto& [key, v] : map(b, path, depth + 1))
                    if (!o.contains(key))
                        o[key] = v;
            }
        }
        return o;
    }

    [[noreturn]] void fail(const YAML::Mark& m, const std::string& why) const {
        throw workflow_file_error(source_ + ":" + at(m) + ": " + why);
    }

    /// The conversion walks the text in order, but for aliases and merge keys, which come
    /// back to a node read before: the furthest node reached is where in the file the
    /// expansion that overruns the budget stands (the list or key that holds the alias).
    void reach(const YAML::Mark& m) {
        if (m.pos > reached_.pos)
            reached_ = m;
    }

    const std::string& source_;
    yaml_document& doc_;
    const std::size_t max_values_;
    std::size_t values_ = 0; // made so far, counting every copy an alias makes
    YAML::Mark reached_;     // the furthest node in the text converted so far
};

/// The length of the UTF-8 sequence at text[i], or 0 when it is not valid UTF-8 as the hub's
/// JSON parser reads it: an overlong form (C0 8B), a surrogate or a code point past U+10FFFF
/// is refused there, so the whole file is refused here (found by fuzz.original_workflow).
std::size_t utf8_length(std::string_view text, std::size_t i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > text.size())
        return 0;
    std::uint32_t cp = len == 1 ? c : c & (0x7F >> len);
    for (std::size_t k = 1; k < len; ++k) {
        const auto b = static_cast<unsigned char>(text[i + k]);
        if ((b & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (b & 0x3F);
    }
    static constexpr std::uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < least[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

/// The first NUL byte or invalid UTF-8 sequence, as "line:column"; empty for a text file.
std::string binary_at(std::string_view text) {
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        const std::size_t len = utf8_length(text, i);
        if (c == 0 || len == 0)
            return std::to_string(line) + ":" + std::to_string(column);
        if (c == '\n')
            ++line, column = 0;
        ++column;
        i += len;
    }
    return {};
}

/// yaml-cpp's message, or a plainer one for a tab in the indentation, which it reports in
/// several ways ("illegal block entry", "illegal tab when looking for indentation").
std::string explained(const std::string& text, const YAML::Exception& e) {
    if (e.mark.is_null())
        return e.msg;
    std::size_t start = 0;
    for (int line = 0; line < e.mark.line && start != std::string::npos; ++line)
        if ((start = text.find('\n', start)) != std::string::npos)
            ++start;
    if (start != std::string::npos) {
        const auto indent = text.find_first_not_of(" \t", start);
        if (text.find('\t', start) < indent)
            return "a tab in the indentation: YAML indents with spaces only";
    }
    return e.msg;
}

} // namespace

yaml_document read_yaml(const std::string& text, const std::string& source) {
    if (auto bad = binary_at(text); !bad.empty())
        throw workflow_file_error(source + ":" + bad +
                                  ": not a text file (a NUL byte or invalid UTF-8)");
    yaml_document doc;
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
        auto where = e.mark.is_null() ? std::string("1:1") : at(e.mark);
        throw workflow_file_error(source + ":" + where + ": " + explained(text, e));
    }
    if (!root.IsDefined() || root.IsNull())
        throw workflow_file_error(source + ":1:1: the file holds no workflow (it is empty)");
    doc.root = converter(source, doc, max_yaml_values(text.size())).value(root, "", 0);
    return doc;
}

} // namespace gleitzeit::cli
