// provider-io's line_splitter and sse_reader as tables: each input is fed whole and split at
// every byte position (and byte by byte), and must give the same records each time.

#include "stream_lines.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

namespace pio = gleitzeit::provider_io;

namespace {

struct split_result {
    std::vector<std::string> records;
    std::string rest;
    bool ok = true;
};

/// Every way of cutting `input` into two pieces, plus byte by byte, plus whole.
std::vector<std::vector<std::string>> cuts(const std::string& input) {
    std::vector<std::vector<std::string>> out{{input}};
    for (std::size_t i = 0; i <= input.size(); ++i)
        out.push_back({input.substr(0, i), input.substr(i)});
    std::vector<std::string> bytes;
    for (char c : input)
        bytes.emplace_back(1, c);
    out.push_back(bytes);
    return out;
}

split_result lines(const std::vector<std::string>& pieces, std::size_t max_line) {
    pio::line_splitter s(max_line);
    split_result r;
    for (const auto& p : pieces)
        r.ok = r.ok && s.feed(p, [&](std::string_view line) { r.records.emplace_back(line); });
    r.rest = s.rest();
    return r;
}

std::string show(const pio::sse_event& e) {
    return e.event + "|" + e.data + "|" + e.id;
}

split_result events(const std::vector<std::string>& pieces, std::size_t max_event) {
    pio::sse_reader s(max_event);
    split_result r;
    for (const auto& p : pieces)
        r.ok = r.ok && s.feed(p, [&](const pio::sse_event& e) { r.records.push_back(show(e)); });
    return r;
}

} // namespace

BOOST_AUTO_TEST_SUITE(provider_io)

BOOST_AUTO_TEST_CASE(line_splitter_table) {
    struct row {
        std::string input;
        std::vector<std::string> lines;
        std::string rest;
    };
    const std::vector<row> table{
        {"", {}, ""},
        {"a\n", {"a"}, ""},
        {"a\nbc\n", {"a", "bc"}, ""},
        {"a\r\nb\r\n", {"a", "b"}, ""},
        {"\n\n", {"", ""}, ""},
        {"{\"x\":1}\n{\"y\":2}", {"{\"x\":1}"}, "{\"y\":2}"},
        {"a\rb\n", {"a\rb"}, ""}, // only a \r right before \n is dropped
        {"tail", {}, "tail"},
    };
    for (const row& r : table)
        for (const auto& pieces : cuts(r.input)) {
            split_result got = lines(pieces, 1024);
            BOOST_TEST(got.ok);
            BOOST_TEST(got.records == r.lines, "input " << r.input);
            BOOST_TEST(got.rest == r.rest, "input " << r.input);
        }
}

BOOST_AUTO_TEST_CASE(line_splitter_refuses_a_line_over_max_line) {
    for (const auto& pieces : cuts("12345\n"))
        BOOST_TEST(lines(pieces, 5).ok); // exactly max_line
    for (const auto& pieces : cuts("12345\r\n"))
        BOOST_TEST(lines(pieces, 5).ok); // the \r is not part of the line
    for (const auto& pieces : cuts("ok\n123456\n")) {
        split_result got = lines(pieces, 5);
        BOOST_TEST(!got.ok);
        BOOST_TEST(got.records == std::vector<std::string>{"ok"});
    }
    // Refused while it is still growing, not only when its newline comes.
    pio::line_splitter s(5);
    BOOST_TEST(!s.feed("1234567", [](std::string_view) {}));
}

BOOST_AUTO_TEST_CASE(sse_reader_table) {
    struct row {
        std::string input;
        std::vector<std::string> events; // event|data|id
    };
    const std::vector<row> table{
        {"data: hi\n\n", {"message|hi|"}},
        {"data:hi\r\n\r\n", {"message|hi|"}},
        {"data:  two spaces\n\n", {"message| two spaces|"}}, // one space is dropped
        {"data: a\ndata: b\ndata\n\n", {"message|a\nb\n|"}},
        {"event: delta\ndata: {\"x\":1}\nid: 7\n\n", {"delta|{\"x\":1}|7"}},
        {": keep-alive\n\ndata: x\n\n", {"message|x|"}},
        {"event: e\n\ndata: y\n\n", {"message|y|"}}, // no data: nothing, and the name resets
        {"id: 1\ndata: a\n\ndata: b\n\n", {"message|a|1", "message|b|1"}}, // the id stays
        {"retry: 100\nfoo: bar\ndata: z\n\n", {"message|z|"}},
        {"data: unfinished\n", {}},
        {"data: [DONE]\n\n", {"message|[DONE]|"}},
    };
    for (const row& r : table)
        for (const auto& pieces : cuts(r.input)) {
            split_result got = events(pieces, 1024);
            BOOST_TEST(got.ok);
            BOOST_TEST(got.records == r.events, "input " << r.input);
        }
}

BOOST_AUTO_TEST_CASE(sse_reader_refuses_an_event_over_max_event) {
    for (const auto& pieces : cuts("data: 1234\ndata: 5678\n\n")) {
        split_result got = events(pieces, 8);
        BOOST_TEST(!got.ok); // each line fits, the joined data does not
        BOOST_TEST(got.records.empty());
    }
    for (const auto& pieces : cuts("data: 123\n\n"))
        BOOST_TEST(events(pieces, 9).ok);
}

BOOST_AUTO_TEST_SUITE_END()
