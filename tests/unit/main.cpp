// The one translation unit that defines the module, and with BOOST_TEST_DYN_LINK, main().
#define BOOST_TEST_MODULE gleitzeit_unit
#include <boost/test/unit_test.hpp>
