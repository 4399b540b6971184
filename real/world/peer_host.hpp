// peer_host: one peer of the real world, whatever runs it — what real_world forwards the runner's
// per-peer calls to. local_peer (local_peer.hpp) is ours: a peer_node on asio_transport.
//
// How an external program plugs in (issue 8 part 2): implement peer_host for it and return it from
// real_world_options::make_host for the peers marked `impl:`. Its duties:
//   - start / restart: write the neighbours file and the shared directory (contents from
//     real_world::file_content_for), spawn the program with its address, status() -> running;
//     emit_world(started / restarted) through the world.
//   - crash: kill its process group (status crashed); pause / resume: SIGSTOP / SIGCONT.
//   - command: drive the menu through stdin, with bounded waits for the line that ends each step;
//     a cmd_bye ends in exit_ready / status left.
//   - node events (clock changes, table changes, received with clocks, downloads) parsed from its
//     console and emitted as trace events with real_world::emit; call real_world::table_changed()
//     after a table change so the convergence signal follows.
//   - table() / clock() / shared_file(s)(): from the parsed console and its directory on disk.
//     node() stays nullptr (there is no peer_node to read).
// Lines between it and our peers cross our fault layer on our side (fault_layer.hpp: our sending
// side for lines to it, our acceptor for lines from it). Lines between two external programs
// would need a layer we do not have: the loader refuses such faults.
//
// Threading rule: called only on the world's thread (the io_context's).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "node/core/command.hpp"
#include "node/core/peer_node.hpp"
#include "node/core/peer_table.hpp"
#include "node/core/ports.hpp"
#include "sim/memory_file_store.hpp"
#include "sim/peer_world.hpp"

namespace eachare::real {

class real_world;
using sim::node_id;

class peer_host {
 public:
  virtual ~peer_host() = default;
  virtual void start() = 0;
  virtual void crash() = 0;
  virtual void restart() = 0;
  virtual void pause() = 0;
  virtual void resume() = 0;
  virtual sim::node_status status() const = 0;
  virtual void command(const eachare::command& cmd) = 0;
  // true: lines for this peer while it is paused must be held by the sender (an in-process
  // peer; a stopped process has the kernel hold them instead).
  virtual bool holds_while_paused() const { return false; }
  // Runs `fn` when the peer resumes (only asked when holds_while_paused()).
  virtual void when_resumed(std::function<void()> fn) { fn(); }

  virtual const peer_node* node() const { return nullptr; }
  virtual const peer_table* table() const = 0;
  virtual std::uint64_t clock() const = 0;
  virtual sim::file_content shared_file(std::string_view name) const = 0;
  virtual std::vector<std::pair<std::string, sim::file_content>> shared_files() const = 0;
  virtual void set_tap(observer* /*tap*/) {}
};

}  // namespace eachare::real
