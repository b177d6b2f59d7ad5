// provider_llm's health: a GET of the model list every health_interval, and the switch of
// protocols() between llm/v1 and nothing, told to the hub with protocols_changed.

#include "provider_llm.hpp"

#include "llm_errors.hpp"

#include <algorithm>
#include <utility>

namespace gleitzeit {

namespace json = boost::json;
using namespace provider_llm_detail;

namespace {

/// Ollama lists "llama3.2:latest" for a model pulled as "llama3.2".
bool lists_model(const std::vector<std::string>& models, const std::string& model) {
    return std::any_of(models.begin(), models.end(), [&](const std::string& m) {
        return m == model || m == model + ":latest";
    });
}

} // namespace

void provider_llm::check_health() {
    if (stopped_ || health_in_flight_)
        return;
    health_in_flight_ = true;
    // A health check must not wait as long as a model may take to load.
    const std::chrono::milliseconds limit =
        std::min(config_.first_byte_timeout, std::chrono::milliseconds(10000));
    provider_io::http_request req =
        to_http(config_, wire_request{health_path(config_.api), {}}, limit + config_.connect_timeout);
    req.first_byte_timeout = limit;
    const std::string endpoint = req.url;
    client_->request(std::move(req), nullptr,
                     [this, endpoint](std::optional<provider_io::http_error> failure,
                                      provider_io::http_response response) {
                         bool ok = false;
                         std::string why;
                         std::vector<std::string> models;
                         if (failure) {
                             why = failure->message;
                         } else if (response.status < 200 || response.status >= 300) {
                             why = "answered " + std::to_string(response.status) + ": " +
                                   error_text(response.body);
                         } else {
                             try {
                                 models = read_model_list(config_.api, response.body);
                                 ok = true;
                             } catch (const answer_error& e) {
                                 why = e.what();
                             }
                         }
                         to_strand([this, ok, why = endpoint + ": " + why, models] {
                             on_health(ok, why, models);
                         });
                     });
}

void provider_llm::on_health(bool ok, const std::string& why,
                             const std::vector<std::string>& models) {
    health_in_flight_ = false;
    if (stopped_ || !host_)
        return;
    set_health(ok, why);
    if (ok && !config_.default_model.empty() && !model_warned_ &&
        !lists_model(models, config_.default_model)) {
        model_warned_ = true;
        host_->log(log_level::warn, config_.url + " does not list default_model '" +
                                        config_.default_model + "'");
    }
    health_timer_ = host_->start_timer(config_.health_interval,
                                       [this, alive = std::weak_ptr<const bool>(alive_)] {
                                           if (alive.expired())
                                               return;
                                           health_timer_.reset();
                                           check_health();
                                       });
}

void provider_llm::set_health(bool ok, const std::string& why) {
    if (config_.health_interval.count() == 0 || ok == healthy_ || !host_)
        return;
    healthy_ = ok;
    host_->metric("healthy", ok ? 1 : 0);
    if (ok)
        host_->log(log_level::info, config_.url + " answers again: serving llm/v1");
    else
        host_->log(log_level::warn,
                   "unhealthy, llm/v1 withdrawn until the server answers again: " + why);
    // The hub asks protocols() again and registers what it returns now.
    host_->emit("protocols_changed", json::object{});
}

} // namespace gleitzeit
