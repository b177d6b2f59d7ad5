// gleitzeit-bench: the load generator of `make bench`. Socket.IO over WebSocket with our
// own client, on one thread, so it leaves the other core to the server.
//
//   load:         N clients, K acked `echo` emits in flight per client, a payload size,
//                 a warm-up and a measured duration; reports acks/s and latency
//                 percentiles, and with --pid the server's CPU time per ack and its RSS.
//   connect-only: opens N idle connections; with --pid reports RSS per connection and
//                 CPU time per connect.
// The result is one JSON line on stdout; progress goes to stderr.

#include "proc_stats.hpp"
#include "sio/client/client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace sio = gleitzeit::sio;
namespace json = boost::json;
using clock_type = std::chrono::steady_clock;

namespace {

struct settings {
    std::string url;
    unsigned clients = 50;
    unsigned in_flight = 1;
    unsigned payload = 64;
    double warmup = 2;
    double duration = 5;
    int pid = 0;
    bool connect_only = false;
};

[[noreturn]] void usage(const std::string& why) {
    if (!why.empty())
        std::cerr << "gleitzeit-bench: " << why << "\n";
    (why.empty() ? std::cout : std::cerr)
        << "usage: gleitzeit-bench --url http://127.0.0.1:PORT [--clients N] [--in-flight K] "
           "[--payload BYTES]\n"
           "                      [--warmup SECONDS] [--duration SECONDS] [--pid SERVER_PID]\n"
           "       gleitzeit-bench --connect-only --url http://127.0.0.1:PORT --clients N [--pid "
           "SERVER_PID]\n";
    std::exit(why.empty() ? 0 : 2);
}

template <class T> T parse_number(std::string_view flag, std::string_view v) {
    T n{};
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc{} || p != v.data() + v.size())
        usage(std::string(flag) + " needs a number, got '" + std::string(v) + "'");
    return n;
}

settings parse(int argc, char** argv) {
    settings s;
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        if (a == "--help")
            usage("");
        if (a == "--connect-only") {
            s.connect_only = true;
            continue;
        }
        if (i + 1 >= argc)
            usage(std::string(a) + " needs a value");
        std::string_view v = argv[++i];
        if (a == "--url")
            s.url = v;
        else if (a == "--clients")
            s.clients = parse_number<unsigned>(a, v);
        else if (a == "--in-flight")
            s.in_flight = parse_number<unsigned>(a, v);
        else if (a == "--payload")
            s.payload = parse_number<unsigned>(a, v);
        else if (a == "--warmup")
            s.warmup = parse_number<double>(a, v);
        else if (a == "--duration")
            s.duration = parse_number<double>(a, v);
        else if (a == "--pid")
            s.pid = parse_number<int>(a, v);
        else
            usage("unknown argument '" + std::string(a) + "'");
    }
    if (s.url.empty())
        usage("--url is required");
    if (s.clients == 0 || (!s.connect_only && s.in_flight == 0))
        usage("--clients and --in-flight must be at least 1");
    return s;
}

sio::client_options websocket_only() {
    sio::client_options o;
    o.transports = {"websocket"};
    o.reconnection = false;
    return o;
}

/// Opens `n` clients, at most `batch` connecting at once; calls `done` when all joined "/".
struct fleet {
    boost::asio::io_context& ioc;
    std::string url;
    std::vector<std::unique_ptr<sio::client>> clients;
    unsigned connected = 0;
    unsigned failed = 0;

    void open(unsigned n, unsigned batch, std::function<void()> done) {
        auto next = std::make_shared<std::function<void()>>();
        *next = [this, n, batch, done, next] {
            if (clients.size() < n) {
                auto c = std::make_unique<sio::client>(ioc, url, websocket_only());
                c->of("/");
                c->on_status([this, next, n, done](const sio::client_event& e) {
                    if (e.what == sio::client_event::kind::connect) {
                        if (++connected % 1000 == 0)
                            std::cerr << "connected " << connected << "\n";
                        if (connected + failed == n)
                            done();
                        else
                            (*next)();
                    } else if (e.what == sio::client_event::kind::close &&
                               e.reason != "io client disconnect") {
                        ++failed;
                        std::cerr << "a client failed: " << e.reason << "\n";
                        if (connected + failed == n)
                            done();
                    }
                });
                c->open();
                clients.push_back(std::move(c));
            }
        };
        for (unsigned i = 0; i < std::min(n, batch); ++i)
            (*next)();
    }
};

int run_connect_only(const settings& s) {
    boost::asio::io_context ioc(1);
    fleet f{ioc, s.url, {}, 0, 0};
    auto rss_before = s.pid ? gleitzeit::bench::rss_kb(s.pid) : -1;
    auto cpu_before = s.pid ? gleitzeit::bench::cpu_us(s.pid) : -1;
    auto start = clock_type::now();
    double seconds = 0;
    f.open(s.clients, 256, [&] {
        seconds = std::chrono::duration<double>(clock_type::now() - start).count();
        ioc.stop();
    });
    ioc.run();
    if (f.failed) {
        std::cerr << "gleitzeit-bench: " << f.failed << " of " << s.clients
                  << " connections failed\n";
        return 1;
    }
    json::object out{{"mode", "connect"}, {"clients", s.clients}, {"seconds", seconds}};
    if (s.pid) {
        // Let the server settle (freed handshake buffers) before reading its memory.
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        auto rss_after = gleitzeit::bench::rss_kb(s.pid);
        auto cpu_after = gleitzeit::bench::cpu_us(s.pid);
        out["server_rss_kb_before"] = rss_before;
        out["server_rss_kb_after"] = rss_after;
        out["rss_per_conn_bytes"] =
            static_cast<double>(rss_after - rss_before) * 1024.0 / s.clients;
        out["server_cpu_us_per_connect"] = static_cast<double>(cpu_after - cpu_before) / s.clients;
    }
    std::cout << json::serialize(out) << std::endl;
    for (auto& c : f.clients)
        c->close();
    return 0;
}

int run_load(const settings& s) {
    boost::asio::io_context ioc(1);
    fleet f{ioc, s.url, {}, 0, 0};
    const std::string payload(s.payload, 'x');
    std::vector<std::uint32_t> latencies_us;
    latencies_us.reserve(1 << 20);
    bool measuring = false;
    bool stopping = false;
    std::uint64_t acks = 0;
    std::uint64_t errors = 0;
    std::int64_t cpu_start = 0, cpu_end = 0;
    clock_type::time_point t_start, t_end;

    std::function<void(sio::namespace_handle&)> fire = [&](sio::namespace_handle& sock) {
        if (stopping)
            return;
        sio::message m;
        m.args.emplace_back(json::string(payload));
        auto sent = clock_type::now();
        sock.emit("echo", std::move(m), std::chrono::seconds(10),
                  [&, sent](std::optional<sio::message> reply) {
                      if (!reply) {
                          ++errors;
                      } else if (measuring) {
                          ++acks;
                          auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                                        clock_type::now() - sent)
                                        .count();
                          latencies_us.push_back(static_cast<std::uint32_t>(us));
                      }
                      fire(sock);
                  });
    };

    boost::asio::steady_timer phase(ioc);
    f.open(s.clients, 64, [&] {
        if (f.failed) {
            ioc.stop();
            return;
        }
        std::cerr << "all " << s.clients << " connected; warming up\n";
        for (auto& c : f.clients)
            for (unsigned k = 0; k < s.in_flight; ++k)
                fire(c->of("/"));
        phase.expires_after(std::chrono::duration_cast<clock_type::duration>(
            std::chrono::duration<double>(s.warmup)));
        phase.async_wait([&](boost::system::error_code) {
            measuring = true;
            t_start = clock_type::now();
            cpu_start = s.pid ? gleitzeit::bench::cpu_us(s.pid) : 0;
            phase.expires_after(std::chrono::duration_cast<clock_type::duration>(
                std::chrono::duration<double>(s.duration)));
            phase.async_wait([&](boost::system::error_code) {
                measuring = false;
                stopping = true;
                t_end = clock_type::now();
                cpu_end = s.pid ? gleitzeit::bench::cpu_us(s.pid) : 0;
                ioc.stop();
            });
        });
    });
    ioc.run();
    if (f.failed) {
        std::cerr << "gleitzeit-bench: " << f.failed << " of " << s.clients
                  << " connections failed\n";
        return 1;
    }
    if (acks == 0) {
        std::cerr << "gleitzeit-bench: no ack arrived while measuring\n";
        return 1;
    }
    std::sort(latencies_us.begin(), latencies_us.end());
    auto pct = [&](double q) {
        auto i = static_cast<std::size_t>(q * static_cast<double>(latencies_us.size() - 1));
        return latencies_us[i];
    };
    double seconds = std::chrono::duration<double>(t_end - t_start).count();
    json::object out{{"mode", "load"},
                     {"clients", s.clients},
                     {"in_flight", s.in_flight},
                     {"payload", s.payload},
                     {"acks", acks},
                     {"errors", errors},
                     {"seconds", seconds},
                     {"acks_per_s", static_cast<double>(acks) / seconds},
                     {"p50_us", pct(0.50)},
                     {"p99_us", pct(0.99)},
                     {"p999_us", pct(0.999)}};
    if (s.pid) {
        out["server_cpu_us_per_ack"] =
            static_cast<double>(cpu_end - cpu_start) / static_cast<double>(acks);
        out["server_rss_kb"] = gleitzeit::bench::rss_kb(s.pid);
    }
    std::cout << json::serialize(out) << std::endl;
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    auto s = parse(argc, argv);
    return s.connect_only ? run_connect_only(s) : run_load(s);
}
