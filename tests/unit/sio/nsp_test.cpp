// Rooms of a namespace: who a broadcast selects, with rooms, exclusions and the sender
// left out. Sockets here have no session, so nothing is sent; select() is what decides.
#include "sio/server/nsp.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>

namespace sio = gleitzeit::sio;

namespace {

struct space_with_sockets {
    sio::nsp space{"/"};
    std::vector<sio::socket_ptr> s;
    space_with_sockets() {
        for (int i = 0; i < 5; ++i) {
            auto sock = std::make_shared<sio::socket>("s" + std::to_string(i), space,
                                                      std::weak_ptr<sio::engine::session>{},
                                                      boost::json::object{});
            space.add(sock);
            s.push_back(sock);
        }
    }
    std::vector<std::string> ids(const std::vector<std::string>& rooms,
                                 const std::vector<std::string>& except = {},
                                 const std::string& except_id = {}) const {
        std::vector<std::string> out;
        for (const auto& x : space.select(rooms, except, except_id))
            out.push_back(x->id());
        std::sort(out.begin(), out.end());
        return out;
    }
};

using ids = std::vector<std::string>;

} // namespace

BOOST_AUTO_TEST_SUITE(rooms)

BOOST_AUTO_TEST_CASE(no_room_means_the_whole_namespace) {
    space_with_sockets f;
    BOOST_TEST(f.ids({}) == (ids{"s0", "s1", "s2", "s3", "s4"}), boost::test_tools::per_element());
    BOOST_TEST(f.space.size() == 5u);
}

BOOST_AUTO_TEST_CASE(rooms_select_their_members_once) {
    space_with_sockets f;
    f.s[0]->join("a");
    f.s[1]->join("a");
    f.s[1]->join("b");
    f.s[2]->join("b");
    BOOST_TEST(f.ids({"a"}) == (ids{"s0", "s1"}), boost::test_tools::per_element());
    BOOST_TEST(f.ids({"a", "b"}) == (ids{"s0", "s1", "s2"}), boost::test_tools::per_element());
    BOOST_TEST(f.ids({"nobody"}).empty());
    BOOST_TEST(f.s[1]->rooms() == (std::set<std::string>{"a", "b"}));
}

BOOST_AUTO_TEST_CASE(exclusions_by_room_and_by_socket) {
    space_with_sockets f;
    f.s[0]->join("a");
    f.s[1]->join("a");
    f.s[2]->join("a");
    f.s[1]->join("quiet");
    f.s[3]->join("quiet");
    BOOST_TEST(f.ids({"a"}, {"quiet"}) == (ids{"s0", "s2"}), boost::test_tools::per_element());
    BOOST_TEST(f.ids({}, {"quiet"}) == (ids{"s0", "s2", "s4"}), boost::test_tools::per_element());
    BOOST_TEST(f.ids({"a"}, {}, "s0") == (ids{"s1", "s2"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(leave_and_close_remove_membership) {
    space_with_sockets f;
    f.s[0]->join("a");
    f.s[1]->join("a");
    f.s[0]->leave("a");
    BOOST_TEST(f.ids({"a"}) == (ids{"s1"}), boost::test_tools::per_element());
    f.s[1]->closed("transport close");
    BOOST_TEST(f.ids({"a"}).empty());
    BOOST_TEST(f.space.size() == 4u);
    BOOST_TEST(!f.s[1]->connected());
    f.s[1]->join("a"); // a closed socket joins nothing
    BOOST_TEST(f.ids({"a"}).empty());
}

BOOST_AUTO_TEST_CASE(a_broadcast_to_an_empty_room_reaches_nobody) {
    space_with_sockets f;
    BOOST_TEST(f.space.to("empty").emit("ev") == 0u);
    f.s[2]->join("r");
    BOOST_TEST(f.space.to("r").emit("ev") == 1u);
    BOOST_TEST(f.s[2]->to("r").emit("ev") == 0u); // the sender is left out
}

BOOST_AUTO_TEST_SUITE_END()
