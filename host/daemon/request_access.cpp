#include "daemon/request_access.hpp"

#include "log/log.hpp"

#include <boost/asio/ip/address.hpp>

#include <ifaddrs.h>
#include <netdb.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <memory>
#include <mutex>

namespace gleitzeit::daemon {
namespace {

/// Every address of this machine's interfaces, as a client would write it in Host.
std::vector<std::string> interface_addresses() {
    std::vector<std::string> out;
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0)
        return out;
    for (auto* a = list; a; a = a->ifa_next) {
        if (!a->ifa_addr ||
            (a->ifa_addr->sa_family != AF_INET && a->ifa_addr->sa_family != AF_INET6))
            continue;
        std::array<char, NI_MAXHOST> name{};
        auto len = a->ifa_addr->sa_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
        if (::getnameinfo(a->ifa_addr, len, name.data(), name.size(), nullptr, 0, NI_NUMERICHOST) ==
            0) {
            std::string text = name.data();
            out.push_back(text.substr(0, text.find('%'))); // fe80::1%eth0: the zone is not in Host
        }
    }
    ::freeifaddrs(list);
    return out;
}

std::vector<std::string> default_hosts(const std::string& bind) {
    std::vector<std::string> hosts{"localhost", "127.0.0.1", "::1"};
    boost::system::error_code ec;
    auto addr = boost::asio::ip::make_address(bind, ec);
    if (!ec && addr.is_unspecified()) {
        for (auto& a : interface_addresses())
            hosts.push_back(std::move(a));
    } else {
        hosts.push_back(bind);
    }
    std::array<char, 256> name{};
    if (::gethostname(name.data(), name.size() - 1) == 0 && name[0])
        hosts.emplace_back(name.data());
    return hosts;
}

} // namespace

sio::request_guard request_guard_of(const config::settings& cfg, const std::string& bind) {
    sio::request_guard g;
    g.hosts = cfg.server.allowed_hosts.empty() ? default_hosts(bind) : cfg.server.allowed_hosts;
    if (!cfg.tokens.empty())
        g.origins = cfg.server.allowed_origins;
    return g;
}

sio::refusal_handler refusal_logger() {
    struct state {
        std::mutex mutex;
        std::chrono::steady_clock::time_point last{};
        std::uint64_t unlogged = 0;
    };
    auto s = std::make_shared<state>();
    return [s](const sio::request_guard::refusal& r, std::string_view host,
               std::string_view origin) {
        auto now = std::chrono::steady_clock::now();
        std::uint64_t more = 0;
        {
            std::lock_guard lock(s->mutex);
            if (now - s->last < std::chrono::seconds(1)) {
                ++s->unlogged;
                return;
            }
            s->last = now;
            more = std::exchange(s->unlogged, 0);
        }
        std::string what = r.reason == "host"
                               ? "Host '" + std::string(host) + "' is not in [server] allowed_hosts"
                               : "Origin '" + std::string(origin) +
                                     "' is neither this hub's nor in [server] allowed_origins "
                                     "(which applies only with [[auth.tokens]])";
        log::warn(
            "refused a request (403): " + what +
            (more ? "; " + std::to_string(more) + " more refused since the last such line" : ""));
    };
}

} // namespace gleitzeit::daemon
