// provider_llm's calls after execute(): reading their files, sending their requests, and
// what comes back (progress and outcomes), on the io thread and then on the strand.

#include "provider_llm.hpp"

#include "llm_files.hpp"

#include "gleitzeit/error.hpp"

#include <boost/asio/post.hpp>

#include <utility>

namespace gleitzeit {

namespace json = boost::json;
using namespace provider_llm_detail;

void provider_llm::read_files(std::uint64_t serial) {
    const open_call& c = calls_.at(serial);
    // On the io thread: a slow disk holds up this instance's streams, not the hub.
    boost::asio::post(io_->context(), [this, serial, request = *c.request]() mutable {
        const file_rules rules{config_.max_file_bytes, config_.file_root};
        const std::string method(to_string(request.method));
        std::optional<task_error> failure;
        try {
            if (!request.file_path.empty())
                add_file_text(request, file_name_of(request.file_path),
                              read_text_file(method, request.file_path, rules));
            if (!request.image_path.empty())
                request.images.push_back(base64_encode(
                    read_input_file(method, "image_path", request.image_path, rules)));
        } catch (const error& e) {
            failure = task_error{e.code(), e.what(), false};
        }
        to_strand([this, serial, failure, request = std::move(request)]() mutable {
            on_files_read(serial, failure, std::move(request));
        });
    });
}

void provider_llm::on_files_read(std::uint64_t serial, std::optional<task_error> failure,
                                 llm_request request) {
    auto it = calls_.find(serial);
    if (it == calls_.end())
        return; // cancelled meanwhile, or stopped
    if (failure) {
        deliver(serial, std::nullopt, std::move(failure));
        return;
    }
    it->second.request = std::make_shared<const llm_request>(std::move(request));
    send(serial);
}

void provider_llm::send(std::uint64_t serial) {
    open_call& c = calls_.at(serial);
    const bool streaming = config_.stream && c.request->method != llm_method::embed &&
                           c.stage == exchange_stage::main;
    provider_io::http_request req =
        to_http(config_, build_request(config_.api, *c.request, streaming, c.stage, c.input),
                c.total);
    std::shared_ptr<answer_reader> reader;
    if (streaming)
        reader = std::make_shared<answer_reader>(config_.api, c.request->method, config_.max_body);
    // The rest runs on the io thread, in the order the bytes came; so do the posts.
    auto index = std::make_shared<std::size_t>(0);
    answer_reader::delta_fn on_delta = [this, serial, index](const std::string& text) {
        const std::size_t n = (*index)++;
        to_strand([this, serial, n, text] { on_progress(serial, n, text); });
    };
    provider_io::http_client::chunk_fn on_chunk;
    if (reader)
        on_chunk = [reader, on_delta](std::string_view bytes) {
            reader->feed(bytes, on_delta);
            return true;
        };
    auto on_done = [this, serial, reader, on_delta, request = c.request, stage = c.stage,
                    endpoint = req.url,
                    total = c.total](std::optional<provider_io::http_error> failure,
                                     provider_io::http_response response) {
        exchange_outcome o = conclude(config_, *request, stage, failure, response, reader.get(),
                                      on_delta, endpoint, total);
        to_strand([this, serial, o = std::move(o)]() mutable { on_outcome(serial, std::move(o)); });
    };
    c.http = client_->request(std::move(req), std::move(on_chunk), std::move(on_done));
}

void provider_llm::on_progress(std::uint64_t serial, std::size_t index, const std::string& text) {
    auto it = calls_.find(serial);
    if (it == calls_.end() || it->second.cancelled || !host_)
        return;
    host_->emit("task_progress", json::object{{"task_id", it->second.task_id},
                                              {"text", text},
                                              {"index", static_cast<std::int64_t>(index)}});
}

void provider_llm::on_outcome(std::uint64_t serial, exchange_outcome o) {
    auto it = calls_.find(serial);
    if (it == calls_.end())
        return;
    open_call& c = it->second;
    c.http.reset();
    // Any answer, even an error status or a late one, shows the server is there.
    if (o.unreachable)
        set_health(false, o.error ? o.error->message : "unreachable");
    else if (!o.error || o.error->code != error_code::cancelled)
        set_health(true, "");
    if (c.cancelled) {
        deliver(serial, std::nullopt, task_error{error_code::cancelled, "cancelled", false});
        return;
    }
    if (o.retry_legacy_embed) {
        host_->log(log_level::debug, config_.url + "/api/embed is missing; using /api/embeddings");
        c.stage = exchange_stage::legacy_embed;
        c.input = 0;
        send(serial);
        return;
    }
    if (o.vector) {
        c.vectors.emplace_back(std::move(*o.vector));
        if (++c.input < c.request->inputs.size()) {
            send(serial);
            return;
        }
        // The old endpoint tells no token counts.
        embeddings e{c.request->model, std::move(c.vectors), std::nullopt};
        deliver(serial, embeddings_result(e), std::nullopt);
        return;
    }
    deliver(serial, std::move(o.result), std::move(o.error));
}

} // namespace gleitzeit
