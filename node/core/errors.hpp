// errc: the failures the node's ports report, as std::error_code (expected network failures are
// error codes, never exceptions). The same codes come from the Asio transport and from the
// simulated network, so node logic and checkers cannot tell them apart. Thread-safe (constants).
#pragma once

#include <string_view>
#include <system_error>
#include <type_traits>

namespace eachare {

enum class errc {
  ok = 0,
  connection_refused = 1,  // nobody listens there, or the peer is crashed
  timed_out,               // connect or reply did not come within the requester's timeout
  connection_reset,        // the connection broke mid-exchange
  closed_without_reply,    // the responder closed without sending the expected reply line
  line_too_long,           // a line exceeded limits::max_line_bytes
  malformed_reply,         // the reply line did not decode
  unexpected_reply,        // the reply decoded but is not the type the request expects
  unreachable,             // no route (bad address, resolution failed)
  cancelled,               // the operation was abandoned (shutdown)
  not_found,               // file_store: no such file
  invalid_name,            // file_store: name fails is_safe_file_name
  not_regular_file,        // file_store: a directory, device, or a symlink leading outside
  io_error,                // file_store: read/write failed
  too_large,               // file_store/transport: over a named limit
  // Our own process or system ran out of descriptors (EMFILE/ENFILE) opening a connection: says
  // nothing about the peer, which must not be blamed (marked OFFLINE) for it.
  out_of_descriptors,
};

const std::error_category& eachare_category() noexcept;
std::error_code make_error_code(errc e) noexcept;

}  // namespace eachare

template <>
struct std::is_error_code_enum<eachare::errc> : std::true_type {};
