#include "hub/json_size.hpp"

#include <boost/json/serializer.hpp>

namespace gleitzeit::hub {

namespace {

std::size_t drain(boost::json::serializer& sr) {
    char piece[16 * 1024];
    std::size_t n = 0;
    while (!sr.done())
        n += sr.read(piece, sizeof piece).size();
    return n;
}

} // namespace

std::size_t json_size(const boost::json::value& v) {
    boost::json::serializer sr;
    sr.reset(&v);
    return drain(sr);
}

std::size_t json_size(const boost::json::object& o) {
    boost::json::serializer sr;
    sr.reset(&o);
    return drain(sr);
}

} // namespace gleitzeit::hub
