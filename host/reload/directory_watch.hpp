#pragma once
// Watches one directory with inotify and reports files that were completed or went away.
// "Completed" means closed after writing, or renamed into the directory: a file still being
// written is never reported half-done, and an editor's write-then-rename counts as a change.

#include <functional>
#include <memory>
#include <string>

namespace boost::asio {
class io_context;
}

namespace gleitzeit::reload {

class directory_watch {
public:
    enum class change { written, removed };
    using handler = std::function<void(change, const std::string& file_name)>;

    /// Starts watching `directory`; `on_change` runs on the io_context. Throws
    /// std::runtime_error if the directory cannot be watched.
    directory_watch(boost::asio::io_context& ioc, const std::string& directory,
                    handler on_change);
    ~directory_watch();
    directory_watch(const directory_watch&) = delete;
    directory_watch& operator=(const directory_watch&) = delete;

private:
    struct state;
    std::shared_ptr<state> state_;
};

} // namespace gleitzeit::reload
