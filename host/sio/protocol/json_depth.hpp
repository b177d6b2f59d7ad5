#pragma once
// How deep the JSON of a Socket.IO packet may nest, on its own so that host/cli can refuse a
// workflow file the hub would refuse (host/cli/workflow_file.cpp) without linking the codec:
// this header includes nothing of Asio, Beast or Boost.JSON.

#include <cstddef>

namespace gleitzeit::sio {

/// The deepest nesting of arrays and objects that decode() accepts in a packet's data:
/// `["e",[1]]` is 2. Boost.JSON's default; a deeper packet is refused as invalid JSON, and
/// the hub closes the connection that sent it.
inline constexpr std::size_t max_json_depth = 32;

} // namespace gleitzeit::sio
