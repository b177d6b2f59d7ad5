#pragma once
// Puts a Socket.IO packet back together with its binary attachments. A BINARY_EVENT or
// BINARY_ACK arrives as one text message announcing N attachments, then N binary Engine.IO
// messages in order; the server's session and the client both receive that way, so both
// feed their messages through one of these. Pure: no I/O, no threads.

#include "sio/protocol/packet.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gleitzeit::sio {

class attachment_reassembler {
public:
    /// A packet with every attachment it announced.
    struct complete {
        packet value;
        std::vector<std::string> attachments;
    };

    /// What one message led to: a whole packet, nothing yet (attachments still due), or a
    /// protocol violation, after which the peer is not to be trusted with the connection.
    struct result {
        std::optional<complete> done;
        std::string error; // non-empty on a violation; the reassembler is then empty again

        bool failed() const { return !error.empty(); }
    };

    /// `max_bytes`: the most attachment bytes one packet may bring; past it the peer is failed
    /// rather than buffered without end (each message alone is bounded by max_payload, but a
    /// packet may announce many).
    explicit attachment_reassembler(std::size_t max_bytes = SIZE_MAX) : max_bytes_(max_bytes) {}

    /// Feeds one Engine.IO message payload (without the "4" type digit).
    result feed(std::string_view data, bool binary);
    /// Forgets a packet whose attachments are still due (the connection closed).
    void reset();
    /// True while a packet waits for attachments.
    bool pending() const { return partial_.has_value(); }
    /// The namespace of the packet that waits for attachments (pending() only).
    const std::string& pending_nsp() const { return partial_->nsp; }

private:
    result fail(std::string why);

    std::size_t max_bytes_;
    std::optional<packet> partial_;
    std::vector<std::string> attachments_;
    std::size_t bytes_ = 0; // of attachments_
};

} // namespace gleitzeit::sio
