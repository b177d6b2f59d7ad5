#pragma once
// One trip at a time to a slot and back, carrying everything gathered meanwhile. The pipeline
// sends results to the resolver, ready tasks to the queue, changes to the persistence slot and
// dispatch rounds to the queue and registry this way: under load, one strand hop carries many
// items instead of one hop each. Not thread-safe: it lives on the pipeline's strand, like
// everything of the pipeline (docs/architecture.md, "Concurrency rule").

#include <optional>
#include <utility>

namespace gleitzeit::hub {

/// `Gathered` is default-constructible and has `bool empty() const`.
template <class Gathered> class batcher {
public:
    /// What the next trip will carry; add to it freely.
    Gathered& gathering() { return gathering_; }
    bool under_way() const { return under_way_; }

    /// Starts a trip with what was gathered: nullopt if one is under way already (it calls
    /// again when it is back) or nothing was gathered.
    std::optional<Gathered> start() {
        if (!claim())
            return std::nullopt;
        return take();
    }
    /// Marks a trip as under way without taking the items yet, for a trip that gathers until
    /// its first step runs; take() them then.
    bool claim() {
        if (under_way_ || gathering_.empty())
            return false;
        under_way_ = true;
        return true;
    }
    Gathered take() { return std::exchange(gathering_, Gathered{}); }
    /// The trip is back; the caller starts the next one if anything was gathered meanwhile.
    void arrived() { under_way_ = false; }

private:
    Gathered gathering_{};
    bool under_way_ = false;
};

} // namespace gleitzeit::hub
