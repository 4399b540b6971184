// menu_driver: drives an EACHare program's menu through its stdin with the assignment's numbers
// (shared/protocol.md §5), like a person at the terminal: type a choice, wait for the lines that
// show the step ended (the menu drawn again, the download's "finalizado." line, the exit), and
// read what the step printed (peer list, search table, statistics). Every wait has a named bound,
// and a step that overruns it says which bound and what it was waiting for.
//
// Threading rule: single-threaded; used by the thread that owns the external_process.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "real/external/external_process.hpp"

namespace eachare::external {

// The waits of a driven program, each with the name it has in error messages.
struct driver_bounds {
  std::chrono::milliseconds startup{10000};     // "startup bound": first menu after start
  std::chrono::milliseconds step{20000};        // "step bound": menu again after a command
  std::chrono::milliseconds download{60000};    // "download bound": a download to its end
  std::chrono::milliseconds stdin_write{5000};  // "stdin bound": our input taken in
  std::chrono::milliseconds exit{10000};        // "exit bound": exit after option 9
};

struct step_outcome {
  bool ok = true;
  std::string error;           // one line when !ok
  bool at_menu = true;         // the menu was seen again: the program can take the next step
  std::size_t first_line = 0;  // console lines [first_line, end_line) belong to this step
  std::size_t end_line = 0;
};

struct listed_peer {
  std::size_t index = 0;  // the number to type
  std::string address;
  std::string status;
};

struct search_entry {
  std::size_t index = 0;
  std::string name;
  std::uint64_t size = 0;
  std::vector<std::string> holders;
};

struct stats_entry {
  std::uint64_t chunk_size = 0;
  std::uint64_t holders = 0;
  std::uint64_t file_size = 0;
  std::uint64_t count = 0;
  double mean_seconds = 0;
  double stddev_seconds = 0;
  std::string text;  // the console line
};

class menu_driver {
 public:
  menu_driver(external_process& p, driver_bounds b) : proc_(p), bounds_(b) {}

  // Waits for the first menu (startup bound).
  step_outcome start();
  // 1, then the number of `address` in the listing (0 when it is not listed: an error).
  step_outcome hello(const std::string& address);
  // 1, then 0; the listing in `rows`.
  step_outcome list_peers(std::vector<listed_peer>* rows);
  step_outcome get_peers();                                  // 2
  step_outcome list_local(std::vector<std::string>* names);  // 3
  // 4, then 0 (search only); the table in `rows`.
  step_outcome search(std::vector<search_entry>* rows);
  // 4, then the row of `name` (and `size` when given), then the download to its end.
  step_outcome download(const std::string& name, std::optional<std::uint64_t> size,
                        std::vector<search_entry>* rows = nullptr);
  step_outcome show_stats(std::vector<stats_entry>* rows);  // 5
  step_outcome set_chunk_size(std::int64_t size);           // 6
  // 9, then the program's exit (exit bound).
  step_outcome quit();

  const driver_bounds& bounds() const { return bounds_; }

 private:
  // 1, and the listing up to its prompt (the number is still to be typed).
  step_outcome open_peer_list(std::vector<listed_peer>* rows);
  // 4, and the search table up to its "Digite o numero do arquivo" line (its index; nullopt, with
  // `out` failed, when it did not come within the download bound). Shared by search and download.
  std::optional<std::size_t> open_search(step_outcome& out);
  bool type(const std::string& text, step_outcome& out);
  // Waits for the menu drawn at or after `from`; `bound_name` names the bound in errors.
  bool wait_menu(std::size_t from, std::chrono::milliseconds bound, const char* bound_name,
                 const std::string& waiting_for, step_outcome& out);
  std::optional<std::size_t> wait_for(std::size_t from, std::chrono::milliseconds bound,
                                      const std::function<bool(std::string_view)>& pred);
  bool wait_prompt(std::size_t from, std::chrono::milliseconds bound);
  void fail(step_outcome& out, std::string why);
  std::vector<search_entry> parse_search(std::size_t from, std::size_t to) const;

  external_process& proc_;
  driver_bounds bounds_;
  std::size_t cursor_ = 0;  // console lines before this belong to earlier steps
};

}  // namespace eachare::external
