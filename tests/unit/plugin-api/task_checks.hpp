#pragma once
// Field-by-field checks that two tasks are the same, for the tests that carry tasks through a
// codec (types.cpp's JSON, queue-memory's records): a failure names the field that differs.

#include "gleitzeit/types.hpp"

#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

namespace gleitzeit::task_checks {

inline void check_same(const retry_policy& got, const retry_policy& want) {
    BOOST_TEST(got.max_attempts == want.max_attempts);
    BOOST_TEST(static_cast<int>(got.kind) == static_cast<int>(want.kind));
    BOOST_TEST(got.base_delay.count() == want.base_delay.count());
    BOOST_TEST(got.max_delay.count() == want.max_delay.count());
    BOOST_TEST(got.jitter == want.jitter);
}

inline void check_same(const task& got, const task& want) {
    BOOST_TEST(got.id == want.id);
    BOOST_TEST(got.workflow_id == want.workflow_id);
    BOOST_TEST(got.name == want.name);
    BOOST_TEST(got.protocol == want.protocol);
    BOOST_TEST(got.method == want.method);
    BOOST_TEST(boost::json::serialize(got.params) == boost::json::serialize(want.params));
    BOOST_TEST(got.params == want.params);
    BOOST_TEST(got.dependencies == want.dependencies, boost::test_tools::per_element());
    BOOST_TEST(static_cast<int>(got.priority) == static_cast<int>(want.priority));
    BOOST_TEST(got.timeout.count() == want.timeout.count());
    check_same(got.retry, want.retry);
    BOOST_TEST(static_cast<int>(got.state) == static_cast<int>(want.state));
    BOOST_TEST(got.attempt == want.attempt);
    BOOST_TEST(got.due_ms == want.due_ms);
}

} // namespace gleitzeit::task_checks
