#include "stream_lines.hpp"

namespace gleitzeit::provider_io {

namespace {

std::string_view without_cr(std::string_view line) {
    if (!line.empty() && line.back() == '\r')
        line.remove_suffix(1);
    return line;
}

} // namespace

bool line_splitter::feed(std::string_view bytes,
                         const std::function<void(std::string_view line)>& on_line) {
    while (!bytes.empty()) {
        const std::size_t nl = bytes.find('\n');
        if (nl == std::string_view::npos) {
            // Counted with the \r a CRLF may still bring: the limit is on what we hold.
            if (partial_.size() + bytes.size() > max_line_ + 1)
                return false;
            partial_.append(bytes);
            return true;
        }
        std::string_view piece = bytes.substr(0, nl);
        bytes.remove_prefix(nl + 1);
        if (partial_.empty()) {
            // The common case, a whole line inside one piece: no copy.
            std::string_view line = without_cr(piece);
            if (line.size() > max_line_)
                return false;
            on_line(line);
            continue;
        }
        partial_.append(piece);
        std::string line = std::move(partial_);
        partial_.clear();
        std::string_view view = without_cr(line);
        if (view.size() > max_line_)
            return false;
        on_line(view);
    }
    return true;
}

bool sse_reader::feed(std::string_view bytes,
                      const std::function<void(const sse_event&)>& on_event) {
    bool ok = true;
    const bool whole = lines_.feed(bytes, [&](std::string_view line) {
        if (!ok)
            return;
        if (line.empty()) {
            // The standard dispatches only when data was given; the event name and the data
            // are reset either way, the id is kept (it is the stream's last event id).
            if (has_data_) {
                on_event(current_);
            }
            current_.event = "message";
            current_.data.clear();
            has_data_ = false;
            return;
        }
        if (line.front() == ':')
            return; // a comment, often a keep-alive ping
        std::string_view field = line;
        std::string_view value;
        if (const std::size_t colon = line.find(':'); colon != std::string_view::npos) {
            field = line.substr(0, colon);
            value = line.substr(colon + 1);
            if (!value.empty() && value.front() == ' ')
                value.remove_prefix(1);
        }
        if (field == "data") {
            if (has_data_)
                current_.data.push_back('\n');
            current_.data.append(value);
            has_data_ = true;
            if (current_.data.size() > max_event_)
                ok = false;
        } else if (field == "event") {
            current_.event = value.empty() ? std::string("message") : std::string(value);
        } else if (field == "id") {
            if (value.find('\0') == std::string_view::npos)
                current_.id = std::string(value);
        }
        // retry and unknown fields are ignored, as the standard says.
    });
    return whole && ok;
}

} // namespace gleitzeit::provider_io
