// command: the values that drive a peer_node — what the console menu produces from keystrokes
// and what scenario timelines produce from YAML. Plain values; no threading concerns.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "node/core/address_book.hpp"

namespace eachare {

// [1] list peers: emits on_peer_listing.
struct cmd_list_peers {};
// [1] then k: HELLO to `to`.
struct cmd_hello {
  peer_id to = no_peer;
};
// [2] GET_PEERS to every known peer (snapshot of the table at command start). fanout > 0 asks
// only that many peers, drawn by the node's seeded RNG (a gossip round; scenario extension).
struct cmd_get_peers {
  std::uint32_t fanout = 0;
};
// [3] list local files: emits on_local_files.
struct cmd_list_local {};
// [4] LS to every ONLINE peer; emits on_search_results when every reply or failure is in.
struct cmd_search {};
// [4] then a row: download `name` (with `size`, when given, to pick among same-named rows) from
// every holder of the last search's row. Refused (on_command_refused) without such a row.
struct cmd_download {
  std::string name;
  std::optional<std::uint64_t> size;
};
// [5] emits on_statistics.
struct cmd_show_stats {};
// [6] new chunk size (> 0; refused otherwise).
struct cmd_set_chunk_size {
  std::int64_t size = 0;
};
// [9] BYE to every ONLINE peer; on_exit_ready when all are done.
struct cmd_bye {};

using command = std::variant<cmd_list_peers, cmd_hello, cmd_get_peers, cmd_list_local, cmd_search,
                             cmd_download, cmd_show_stats, cmd_set_chunk_size, cmd_bye>;

}  // namespace eachare
