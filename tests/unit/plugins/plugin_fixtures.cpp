#include "plugin_fixtures.hpp"

#include <boost/json/serialize.hpp>

#include <fstream>
#include <future>
#include <stdlib.h>
#include <sys/stat.h>

namespace gleitzeit::test {

namespace fs = std::filesystem;

temp_dir::temp_dir() {
    std::string tmpl = (fs::temp_directory_path() / "gleitzeit-plugins-XXXXXX").string();
    if (!::mkdtemp(tmpl.data()))
        throw std::runtime_error("mkdtemp failed");
    path = tmpl;
}

temp_dir::~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
}

host_fixture::host_fixture(std::chrono::milliseconds drain) : work(ioc.get_executor()) {
    plugins::plugin_host::options o;
    o.private_dir = private_dir.path / "private";
    o.drain_timeout = drain;
    o.log = [this](log_level, const std::string& line) {
        std::lock_guard lock(log_mutex);
        log.push_back(line);
    };
    o.emit = [this](const std::string& slot, std::string_view event,
                    boost::json::object payload) {
        std::lock_guard lock(log_mutex);
        payload["emitted_by"] = slot; // what the hub is told besides the event
        events.emplace_back(std::string(event), std::move(payload));
    };
    host = std::make_unique<plugins::plugin_host>(ioc, std::move(o));
    for (int i = 0; i < 2; ++i)
        threads.emplace_back([this] { ioc.run(); });
}

host_fixture::~host_fixture() {
    host.reset();
    work.reset();
    ioc.stop();
    for (auto& t : threads)
        t.join();
}

namespace {
template <class Start> std::string wait_for(Start start) {
    std::promise<std::string> p;
    auto f = p.get_future();
    start([&p](const std::string& e) { p.set_value(e); });
    if (f.wait_for(std::chrono::seconds(10)) != std::future_status::ready)
        return "timed out";
    return f.get();
}
} // namespace

std::string host_fixture::set_slot(slot_kind kind, const std::string& file,
                                   boost::json::object cfg) {
    return wait_for([&](auto done) { host->set_slot(kind, file, std::move(cfg), done); });
}

std::string host_fixture::set_provider(const std::string& file, boost::json::object cfg) {
    return wait_for([&](auto done) { host->set_provider(file, std::move(cfg), done); });
}

std::string host_fixture::wait_for_host(
    const std::function<void(std::function<void(const std::string&)>)>& start) {
    return wait_for(start);
}

std::string host_fixture::swap_file(slot_kind kind, const std::string& file) {
    return wait_for([&](auto done) { host->swap_file(kind, file, done); });
}

std::string host_fixture::install(const std::string& file) {
    return wait_for([&](auto done) { host->install(file, {}, done); });
}

std::string host_fixture::unload_provider(const std::string& name) {
    return wait_for([&](auto done) { host->unload_provider(name, done); });
}

std::vector<std::string> host_fixture::queue_ids() {
    std::promise<std::vector<std::string>> p;
    host->with_slot(slot_kind::queue, [&p](plugin* pl) {
        auto* q = dynamic_cast<queue*>(pl);
        p.set_value(q ? q->list(0, SIZE_MAX) : std::vector<std::string>{});
    });
    return p.get_future().get();
}

void host_fixture::enqueue(const std::vector<task>& tasks) {
    std::promise<void> p;
    host->with_slot(slot_kind::queue, [&](plugin* pl) {
        auto* q = dynamic_cast<queue*>(pl);
        for (const auto& t : tasks)
            q->enqueue(t);
        p.set_value();
    });
    p.get_future().get();
}

std::vector<std::string> host_fixture::versions(const std::string& slot) {
    std::vector<std::string> out;
    for (const auto& s : host->describe())
        if (s.at("slot").as_string() == slot)
            for (const auto& g : s.at("generations").as_array())
                out.emplace_back(g.at("version").as_string());
    return out;
}

bool host_fixture::wait_generations(const std::string& slot, std::size_t n) {
    for (int i = 0; i < 500; ++i) {
        if (versions(slot).size() == n)
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}

std::set<std::string> mapped_files(const std::string& part) {
    std::ifstream maps("/proc/self/maps");
    std::set<std::string> out;
    std::string line;
    while (std::getline(maps, line)) {
        auto at = line.find('/');
        if (at != std::string::npos && line.find(part, at) != std::string::npos)
            out.insert(line.substr(at));
    }
    return out;
}

bool wait_mapped_count(const std::string& part, std::size_t n) {
    for (int i = 0; i < 500; ++i) {
        if (mapped_files(part).size() == n)
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}

std::vector<task> make_tasks(std::size_t n, const std::string& prefix) {
    std::vector<task> out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        task t;
        t.id = prefix + std::to_string(i);
        t.workflow_id = "wf";
        t.protocol = "echo/v1";
        t.method = "echo";
        t.priority = static_cast<priority>(i % 4);
        t.params = {{"i", i}};
        out.push_back(std::move(t));
    }
    return out;
}

} // namespace gleitzeit::test
