// gleitzeit-echo-server: the benchmark's server under test, host/sio and nothing else.
// Acks event `echo` with its arguments. Prints "listening on 127.0.0.1:PORT".

#include "sio/server/http_server.hpp"
#include "sio/server/server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <charconv>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

namespace sio = gleitzeit::sio;

namespace {
unsigned number(std::string_view flag, std::string_view v, unsigned max) {
    unsigned n = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc{} || p != v.data() + v.size() || n > max) {
        std::cerr << "gleitzeit-echo-server: " << flag << " needs a number up to " << max
                  << ", got '" << v << "'\n";
        std::exit(2);
    }
    return n;
}
} // namespace

int main(int argc, char** argv) {
    unsigned port = 0;
    unsigned threads = 1; // one loop: the load generator needs the other core
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        if (a == "--help") {
            std::cout << "usage: gleitzeit-echo-server [--port N] [--threads N]\n"
                         "  Acks Socket.IO event `echo` with its arguments; for make bench.\n";
            return 0;
        }
        if ((a == "--port" || a == "--threads") && i + 1 < argc) {
            (a == "--port" ? port : threads) = number(a, argv[++i], a == "--port" ? 65535 : 64);
            continue;
        }
        std::cerr << "gleitzeit-echo-server: unknown argument '" << a << "'\n";
        return 2;
    }
    boost::asio::io_context ioc(static_cast<int>(threads));
    sio::server_options opts;
    sio::http_server http(ioc);
    sio::server io(opts);
    io.of("/").on_connection([](const sio::socket_ptr& s) {
        s->on("echo", [](sio::message& m, const sio::socket::ack_fn& ack) {
            if (ack)
                ack(std::move(m));
        });
    });
    http.mount("/socket.io/", opts.engine, io);
    try {
        port = http.listen("127.0.0.1", static_cast<std::uint16_t>(port));
    } catch (const std::exception& e) {
        std::cerr << "gleitzeit-echo-server: " << e.what() << "\n";
        return 1;
    }
    std::cout << "listening on 127.0.0.1:" << port << std::endl;
    boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](boost::system::error_code, int) {
        http.stop();
        ioc.stop();
    });
    std::vector<std::thread> pool;
    for (unsigned i = 1; i < threads; ++i)
        pool.emplace_back([&] { ioc.run(); });
    ioc.run();
    for (auto& t : pool)
        t.join();
}
