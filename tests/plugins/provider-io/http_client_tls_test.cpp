// provider-io's http_client over TLS, against a server with a self-signed certificate that the
// openssl command makes in a temporary folder: refused against the system store, accepted
// with the certificate as ca_file, refused when the name or address does not match, and
// accepted without verification when asked for.

#include "http_client.hpp"
#include "io_thread.hpp"
#include "test_http_server.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <string>

using namespace std::chrono_literals;
namespace pio = gleitzeit::provider_io;
using provider_io_test::session;
using provider_io_test::test_server;

namespace {

/// A temporary folder with two self-signed certificates: "good" for localhost and 127.0.0.1,
/// "other" for other.example only. Removed with its files at the end.
struct cert_folder {
    cert_folder() {
        char pattern[] = "/tmp/provider-io-tls-XXXXXX";
        BOOST_TEST_REQUIRE(mkdtemp(pattern) != nullptr);
        dir = pattern;
        make("good", "localhost", "DNS:localhost,IP:127.0.0.1");
        make("other", "other.example", "DNS:other.example");
    }
    ~cert_folder() { std::filesystem::remove_all(dir); }

    void make(const std::string& name, const std::string& cn, const std::string& san) {
        const std::string cmd =
            "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2"
            " -keyout " + key(name) + " -out " + cert(name) + " -subj /CN=" + cn +
            " -addext subjectAltName=" + san + " 2>/dev/null";
        BOOST_TEST_REQUIRE(std::system(cmd.c_str()) == 0);
    }
    std::string cert(const std::string& name) const { return dir + "/" + name + ".pem"; }
    std::string key(const std::string& name) const { return dir + "/" + name + ".key"; }

    std::string dir;
};

void hello(session& s) {
    while (!s.read_request().empty())
        s.write("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecret");
}

struct result {
    std::optional<pio::http_error> error;
    pio::http_response response;
};

result get(const pio::tls_options& tls, const std::string& url) {
    pio::io_thread io;
    pio::http_client client(io.context(), tls);
    std::promise<result> p;
    pio::http_request req;
    req.url = url;
    client.request(req, nullptr, [&p](std::optional<pio::http_error> e, pio::http_response r) {
        p.set_value({std::move(e), std::move(r)});
    });
    auto f = p.get_future();
    BOOST_TEST_REQUIRE((f.wait_for(10s) == std::future_status::ready));
    result out = f.get();
    client.close();
    io.stop();
    return out;
}

std::string tls_message(const test_server& s, const std::string& host, const std::string& why) {
    return host + ":" + std::to_string(s.port()) +
           ": TLS handshake failed: certificate verify failed (SSL routines) (" + why + ")";
}

} // namespace

BOOST_AUTO_TEST_SUITE(provider_io)

BOOST_AUTO_TEST_CASE(http_client_tls_refuses_a_self_signed_certificate_by_default) {
    cert_folder certs;
    test_server server(hello, certs.cert("good"), certs.key("good"));
    result r = get({}, server.url());
    BOOST_TEST_REQUIRE(r.error.has_value());
    BOOST_TEST(pio::to_string(r.error->kind) == "tls");
    BOOST_TEST(r.error->message == tls_message(server, "127.0.0.1", "self-signed certificate"));
    BOOST_TEST(r.error->retryable == false);
}

BOOST_AUTO_TEST_CASE(http_client_tls_accepts_the_certificate_given_as_ca_file) {
    cert_folder certs;
    test_server server(hello, certs.cert("good"), certs.key("good"));
    pio::tls_options tls;
    tls.ca_file = certs.cert("good");
    for (const std::string host : {"127.0.0.1", "localhost"}) {
        result r = get(tls, "https://" + host + ":" + std::to_string(server.port()) + "/");
        BOOST_TEST_REQUIRE(!r.error.has_value(), host << ": " << r.error->message);
        BOOST_TEST(r.response.status == 200u);
        BOOST_TEST(r.response.body == "secret");
    }
}

BOOST_AUTO_TEST_CASE(http_client_tls_keeps_the_connection_alive_between_calls) {
    cert_folder certs;
    test_server server(hello, certs.cert("good"), certs.key("good"));
    pio::tls_options tls;
    tls.ca_file = certs.cert("good");
    pio::io_thread io;
    pio::http_client client(io.context(), tls);
    for (int i = 0; i < 2; ++i) {
        std::promise<result> p;
        pio::http_request req;
        req.url = server.url();
        client.request(req, nullptr, [&p](std::optional<pio::http_error> e, pio::http_response r) {
            p.set_value({std::move(e), std::move(r)});
        });
        auto f = p.get_future();
        BOOST_TEST_REQUIRE((f.wait_for(10s) == std::future_status::ready));
        result r = f.get();
        BOOST_TEST_REQUIRE(!r.error.has_value());
        BOOST_TEST(r.response.body == "secret");
    }
    BOOST_TEST(server.accepted() == 1);
    BOOST_TEST(client.idle_connections() == 1u);
    client.close();
    io.stop();
}

BOOST_AUTO_TEST_CASE(http_client_tls_refuses_a_certificate_for_another_name) {
    cert_folder certs;
    test_server server(hello, certs.cert("other"), certs.key("other"));
    pio::tls_options tls;
    tls.ca_file = certs.cert("other");
    result by_name =
        get(tls, "https://localhost:" + std::to_string(server.port()) + "/");
    BOOST_TEST_REQUIRE(by_name.error.has_value());
    BOOST_TEST(by_name.error->message == tls_message(server, "localhost", "hostname mismatch"));
    result by_address = get(tls, server.url());
    BOOST_TEST_REQUIRE(by_address.error.has_value());
    BOOST_TEST(by_address.error->message ==
               tls_message(server, "127.0.0.1", "IP address mismatch"));
}

BOOST_AUTO_TEST_CASE(http_client_tls_without_verification_accepts_any_certificate) {
    cert_folder certs;
    test_server server(hello, certs.cert("other"), certs.key("other"));
    pio::tls_options tls;
    tls.verify = false;
    result r = get(tls, server.url());
    BOOST_TEST_REQUIRE(!r.error.has_value());
    BOOST_TEST(r.response.body == "secret");
}

BOOST_AUTO_TEST_CASE(http_client_tls_refuses_a_missing_ca_file_at_construction) {
    pio::io_thread io;
    pio::tls_options tls;
    tls.ca_file = "/nonexistent/ca.pem";
    BOOST_CHECK_EXCEPTION(pio::http_client(io.context(), tls), std::runtime_error,
                          [](const std::runtime_error& e) {
                              return std::string(e.what()) ==
                                     "cannot read CA file '/nonexistent/ca.pem': No such file or directory";
                          });
}

BOOST_AUTO_TEST_SUITE_END()
