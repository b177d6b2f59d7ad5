#include "sio/protocol/attachment_reassembler.hpp"

#include <string>
#include <utility>

namespace gleitzeit::sio {

attachment_reassembler::result attachment_reassembler::feed(std::string_view data, bool binary) {
    if (binary) {
        if (!partial_)
            return fail("binary message without a packet announcing it");
        bytes_ += data.size();
        if (bytes_ > max_bytes_)
            return fail("the attachments of one packet pass " + std::to_string(max_bytes_) +
                        " bytes");
        attachments_.emplace_back(data);
        if (attachments_.size() < partial_->attachments)
            return {};
        result r;
        r.done.emplace(complete{std::move(*partial_), std::exchange(attachments_, {})});
        partial_.reset();
        bytes_ = 0;
        return r;
    }
    if (partial_)
        return fail("text packet while attachments were still due");
    auto decoded = decode(data);
    if (!decoded.value)
        return fail(decoded.error.empty() ? "invalid packet" : std::move(decoded.error));
    if (decoded.value->attachments > 0) {
        partial_ = std::move(decoded.value);
        return {};
    }
    result r;
    r.done.emplace(complete{std::move(*decoded.value), {}});
    return r;
}

void attachment_reassembler::reset() {
    partial_.reset();
    attachments_.clear();
    bytes_ = 0;
}

attachment_reassembler::result attachment_reassembler::fail(std::string why) {
    reset();
    result r;
    r.error = std::move(why);
    return r;
}

} // namespace gleitzeit::sio
