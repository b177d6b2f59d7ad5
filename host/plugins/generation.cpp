#include "plugins/generation.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

namespace gleitzeit::plugins {

namespace asio = boost::asio;

class generation::services_impl : public host {
public:
    explicit services_impl(generation& g) : gen_(g) {}

    void post(std::function<void()> fn) override {
        asio::post(gen_.strand_, [keep = gen_.shared_from_this(), fn = std::move(fn)] {
            if (!keep->stopped_)
                keep->guarded("a posted function", fn);
        });
    }

    void post_blocking(std::function<void()> fn) override {
        asio::post(gen_.ctx_.blocking, [keep = gen_.shared_from_this(), fn = std::move(fn)] {
            keep->guarded("a blocking job", fn);
        });
    }

    timer_id start_timer(std::chrono::milliseconds delay, std::function<void()> fn) override {
        auto timer = std::make_shared<asio::steady_timer>(gen_.strand_, delay);
        timer_id id;
        {
            std::lock_guard lock(gen_.mutex_);
            id = ++next_timer_;
            timers_[id] = timer;
        }
        timer->async_wait([keep = gen_.shared_from_this(), id, fn = std::move(fn)](
                              boost::system::error_code ec) {
            {
                std::lock_guard lock(keep->mutex_);
                keep->services_->timers_.erase(id);
            }
            if (!ec && !keep->stopped_)
                keep->guarded("a timer", fn);
        });
        return id;
    }

    void cancel_timer(timer_id id) override {
        std::lock_guard lock(gen_.mutex_);
        if (auto it = timers_.find(id); it != timers_.end())
            it->second->cancel();
    }

    void log(log_level level, std::string_view message) override {
        gen_.ctx_.log(level, gen_.slot_name_ + " (" + gen_.name() + " " + gen_.version() +
                                 "): " + std::string(message));
    }

    void metric(std::string_view name, double value) override {
        std::lock_guard lock(gen_.mutex_);
        gauges_[std::string(name)] = value;
    }

    void emit(std::string_view event, boost::json::object payload) override {
        if (gen_.ctx_.emit)
            gen_.ctx_.emit(gen_.slot_name_, event, std::move(payload));
    }

    void cancel_all() {
        std::lock_guard lock(gen_.mutex_);
        for (auto& [id, t] : timers_)
            t->cancel();
    }

    generation& gen_;
    timer_id next_timer_ = 0;
    std::map<timer_id, std::shared_ptr<asio::steady_timer>> timers_;
    std::map<std::string, double> gauges_;
};

generation::generation(std::uint64_t number, std::string slot_name, std::shared_ptr<library> lib,
                       strand s, host_context& ctx)
    : number_(number), slot_name_(std::move(slot_name)), lib_(std::move(lib)),
      strand_(std::move(s)), ctx_(ctx), services_(std::make_unique<services_impl>(*this)) {}

generation::generation(std::uint64_t number, std::string slot_name,
                       std::shared_ptr<plugin> instance, std::string component_id,
                       std::string version, strand s, host_context& ctx)
    : number_(number), slot_name_(std::move(slot_name)), strand_(std::move(s)), ctx_(ctx),
      component_id_(std::move(component_id)), component_version_(std::move(version)),
      services_(std::make_unique<services_impl>(*this)), instance_(std::move(instance)) {}

const std::string& generation::name() const noexcept {
    return lib_ ? lib_->info().name : component_id_;
}

const std::string& generation::version() const noexcept {
    return lib_ ? lib_->info().version : component_version_;
}

std::string generation::file() const {
    return lib_ ? lib_->file().string() : std::string();
}

std::string generation::mapped() const {
    return lib_ ? lib_->mapped_path().string() : std::string();
}

generation::~generation() {
    // The instance's code lives in the library: destroy it while the library is mapped.
    instance_.reset();
    services_.reset();
    lib_.reset();
}

void generation::create(const boost::json::object& config) {
    instance_ = lib_->create(config);
    config_ = config;
}

host& generation::services() { return *services_; }

void generation::stop() {
    if (stopped_)
        return;
    stopped_ = true;
    services_->cancel_all();
    guarded("stop()", [this] { instance_->stop(); });
}

void generation::drop_instance() {
    stopped_ = true;
    services_->cancel_all();
    instance_.reset();
}

void generation::guarded(const char* what, const std::function<void()>& fn) noexcept {
    try {
        fn();
    } catch (const std::exception& e) {
        ctx_.log(log_level::error,
                 slot_name_ + " (" + name() + "): " + what + " threw: " + e.what());
    } catch (...) {
        ctx_.log(log_level::error,
                 slot_name_ + " (" + name() + "): " + what + " threw a non-standard exception");
    }
}

std::map<std::string, double> generation::gauges() const {
    std::lock_guard lock(mutex_);
    return services_->gauges_;
}

} // namespace gleitzeit::plugins
