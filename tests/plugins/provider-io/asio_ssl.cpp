// Asio's SSL code, compiled once for the unit-tests executable. The executable is built with
// BOOST_ASIO_SEPARATE_COMPILATION (host/sio/protocol/asio_beast.cpp compiles the rest of Asio
// and Beast), and that file leaves SSL out; the TLS servers of the HTTP client's tests need
// it. Other tests that use asio::ssl link this too, so it must stay the only copy.
#include <boost/asio/ssl/impl/src.hpp>
