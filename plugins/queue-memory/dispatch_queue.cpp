#include "dispatch_queue.hpp"

#include <boost/container/small_vector.hpp>

#include <cstring>
#include <new>

namespace gleitzeit::queue_memory_detail {

namespace {

using entry = dispatch_queue::entry;
using links = dispatch_queue::links;

template <class Fifo> void push_back(Fifo& f, entry* e, links entry::*l) noexcept {
    (e->*l).prev = f.tail;
    (e->*l).next = nullptr;
    if (f.tail)
        (f.tail->*l).next = e;
    else
        f.head = e;
    f.tail = e;
    ++f.size;
}

template <class Fifo> void unlink(Fifo& f, entry* e, links entry::*l) noexcept {
    auto& x = e->*l;
    if (x.prev)
        (x.prev->*l).next = x.next;
    else
        f.head = x.next;
    if (x.next)
        (x.next->*l).prev = x.prev;
    else
        f.tail = x.prev;
    --f.size;
}

entry* make_entry(std::string_view id, priority level, std::string_view record) {
    void* block = ::operator new(sizeof(entry) + id.size() + record.size());
    auto* e = new (block) entry{level, 0, nullptr, {}, {}, id.size(), record.size()};
    auto* chars = reinterpret_cast<char*>(e + 1);
    std::memcpy(chars, id.data(), id.size());
    std::memcpy(chars + id.size(), record.data(), record.size());
    return e;
}

void destroy_entry(const entry* e) noexcept {
    static_assert(std::is_trivially_destructible_v<entry>);
    ::operator delete(const_cast<entry*>(e));
}

} // namespace

dispatch_queue::~dispatch_queue() {
    release_held();
    for (auto& level : levels_)
        for (entry* e = level.head; e;) {
            entry* next = e->in_level.next;
            destroy_entry(e);
            e = next;
        }
}

dispatch_queue::lane& dispatch_queue::lane_of(std::string_view protocol) {
    if (last_lane_ && last_lane_->protocol == protocol)
        return *last_lane_;
    auto it = lanes_.find(protocol);
    if (it == lanes_.end()) {
        it = lanes_.emplace(std::string(protocol), lane{}).first;
        it->second.protocol = it->first;
    }
    last_lane_ = &it->second;
    return it->second;
}

const dispatch_queue::lane* dispatch_queue::find_lane(std::string_view protocol) const {
    if (last_lane_ && last_lane_->protocol == protocol)
        return last_lane_;
    auto it = lanes_.find(protocol);
    return it == lanes_.end() ? nullptr : &it->second;
}

// Lanes go when they empty, so that a stream of one-off protocols cannot grow the map.
void dispatch_queue::drop_lane(lane* l) noexcept {
    if (last_lane_ == l)
        last_lane_ = nullptr;
    lanes_.erase(lanes_.find(l->protocol));
}

bool dispatch_queue::push(std::string_view id, std::string_view protocol, priority level,
                          std::string_view record) {
    // Each step that can throw comes before the lists change, and undoes the ones before it.
    // The entry comes first, so that the index, keyed by the entry's own copy of the id, is
    // searched once: a duplicate costs an allocation, a bulk import one hash lookup less.
    entry* e = make_entry(id, level, record);
    try {
        if (!index_.emplace(e->id(), e).second) {
            destroy_entry(e);
            return false;
        }
    } catch (...) {
        destroy_entry(e);
        throw;
    }
    lane* l = nullptr;
    try {
        l = &lane_of(protocol);
    } catch (...) {
        index_.erase(e->id());
        destroy_entry(e);
        throw;
    }
    e->seq = next_seq_++;
    e->in_lane_of = l;
    push_back(levels_[index_of(level)], e, &entry::in_level);
    push_back(l->levels[index_of(level)], e, &entry::in_lane);
    ++l->size;
    return true;
}

const dispatch_queue::entry*
dispatch_queue::first(const std::vector<std::string>& protocols) const {
    if (protocols.empty()) {
        for (const auto& level : levels_)
            if (level.head)
                return level.head;
        return nullptr;
    }
    if (protocols.size() == 1) {
        const lane* l = find_lane(protocols.front());
        if (!l)
            return nullptr;
        for (const auto& level : l->levels)
            if (level.head)
                return level.head;
        return nullptr;
    }
    // Several protocols: per level, the head that arrived first among their lanes.
    boost::container::small_vector<const lane*, 8> lanes;
    for (const auto& p : protocols)
        if (const lane* l = find_lane(p))
            lanes.push_back(l);
    for (std::size_t level = 0; level < level_count; ++level) {
        const entry* best = nullptr;
        for (const lane* l : lanes) {
            const entry* head = l->levels[level].head;
            if (head && (!best || head->seq < best->seq))
                best = head;
        }
        if (best)
            return best;
    }
    return nullptr;
}

void dispatch_queue::erase(const entry* ce) noexcept {
    auto* e = const_cast<entry*>(ce);
    lane* l = e->in_lane_of;
    unlink(levels_[index_of(e->level)], e, &entry::in_level);
    unlink(l->levels[index_of(e->level)], e, &entry::in_lane);
    if (--l->size == 0)
        drop_lane(l);
    index_.erase(e->id());
    if (holding_) {
        // Out of memory here ends the process (noexcept), which beats a snapshot that reads
        // a freed entry.
        held_.push_back(e);
        return;
    }
    destroy_entry(e);
}

dispatch_queue::entry_list dispatch_queue::unordered() const {
    entry_list out;
    out.reserve(index_.size());
    for (const auto& kv : index_)
        out.push_back(kv.second);
    return out;
}

void dispatch_queue::release_held() noexcept {
    for (auto* e : held_)
        destroy_entry(e);
    held_.clear();
    holding_ = false;
}

bool dispatch_queue::erase(std::string_view id) noexcept {
    auto it = index_.find(id);
    if (it == index_.end())
        return false;
    erase(it->second);
    return true;
}

} // namespace gleitzeit::queue_memory_detail
