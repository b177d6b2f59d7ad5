// gleitzeit::holds_reference: what the hub asks before it checks a task's call at submission.

#include "gleitzeit/reference.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

namespace {

bool holds(const char* json) { return gleitzeit::holds_reference(boost::json::parse(json)); }

} // namespace

BOOST_AUTO_TEST_SUITE(plugin_api_reference)

BOOST_AUTO_TEST_CASE(a_reference_at_any_depth_is_found) {
    BOOST_TEST(holds(R"("${a.result}")"));
    BOOST_TEST(holds(R"({"text": "sum: ${a.result.count} items"})"));
    BOOST_TEST(holds(R"({"x": [1, {"y": ["plain", "${b.result.items[1].x}"]}]})"));
}

BOOST_AUTO_TEST_CASE(values_without_one_are_not_references) {
    BOOST_TEST(!holds(R"({"text": "costs $5 {not a reference}", "n": 3, "b": true, "z": null})"));
    BOOST_TEST(!holds(R"(["$", "{", "$ {a.result}"])"));
    // Only strings hold references: a key that looks like one is a key.
    BOOST_TEST(!holds(R"({"${a.result}": 1})"));
    BOOST_TEST(!gleitzeit::holds_reference(boost::json::object{}));
}

BOOST_AUTO_TEST_SUITE_END()
