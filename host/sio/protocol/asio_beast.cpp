// Asio and Beast are compiled once, here, instead of in every file that includes them:
// on two cores this halves the build (BOOST_ASIO_SEPARATE_COMPILATION,
// BOOST_BEAST_SEPARATE_COMPILATION).
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
