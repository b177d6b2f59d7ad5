#include "reload/directory_watch.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <sys/inotify.h>
#include <unistd.h>

namespace gleitzeit::reload {

struct directory_watch::state : std::enable_shared_from_this<state> {
    state(boost::asio::io_context& ioc, handler h) : stream(ioc), on_change(std::move(h)) {}

    void read() {
        stream.async_read_some(
            boost::asio::buffer(buffer),
            [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                if (ec)
                    return; // closed: the watch is gone
                self->dispatch(n);
                self->read();
            });
    }

    void dispatch(std::size_t n) {
        std::size_t at = 0;
        while (at + sizeof(inotify_event) <= n) {
            inotify_event ev;
            std::memcpy(&ev, buffer.data() + at, sizeof ev);
            std::string name(buffer.data() + at + sizeof ev, ::strnlen(buffer.data() + at + sizeof ev, ev.len));
            at += sizeof ev + ev.len;
            if (name.empty() || (ev.mask & IN_ISDIR))
                continue;
            if (ev.mask & (IN_CLOSE_WRITE | IN_MOVED_TO))
                on_change(change::written, name);
            else if (ev.mask & (IN_DELETE | IN_MOVED_FROM))
                on_change(change::removed, name);
        }
    }

    boost::asio::posix::stream_descriptor stream;
    handler on_change;
    alignas(inotify_event) std::array<char, 16 * 1024> buffer{};
};

directory_watch::directory_watch(boost::asio::io_context& ioc, const std::string& directory,
                                 handler on_change)
    : state_(std::make_shared<state>(ioc, std::move(on_change))) {
    int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0)
        throw std::runtime_error(std::string("inotify_init1: ") + std::strerror(errno));
    if (::inotify_add_watch(fd, directory.c_str(),
                            IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM) < 0) {
        int err = errno;
        ::close(fd);
        throw std::runtime_error("cannot watch " + directory + ": " + std::strerror(err));
    }
    state_->stream.assign(fd);
    state_->read();
}

directory_watch::~directory_watch() {
    boost::system::error_code ignored;
    state_->stream.close(ignored);
}

} // namespace gleitzeit::reload
