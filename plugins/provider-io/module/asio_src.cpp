// Asio (with its SSL part) and Beast, compiled once into each provider plugin module that
// links provider_io. provider_io and everything built on it compile with
// BOOST_ASIO_SEPARATE_COMPILATION and BOOST_BEAST_SEPARATE_COMPILATION, as the host does: the
// unit-tests executable links the plugin cores next to the host's code, and one program must
// not hold both the header-only and the separately compiled forms of Asio (their internals
// differ, and the linker keeps one of each, which crashed handler allocation). So the cores
// carry no Asio code of their own; a plugin module gets it from this file (CMakeLists.txt adds
// it to modules only), the unit-tests executable from the host's asio_beast.cpp and
// tests/plugins/provider-io/asio_ssl.cpp.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
