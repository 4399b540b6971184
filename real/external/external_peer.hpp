// external_peer: one external EACHare program as a scenario peer. It prepares the program's
// neighbours file and shared directory, starts it from the implementation's template, and runs
// the scenario's menu commands on it in order on a worker thread (a menu step blocks until the
// program shows it ended, so the scenario's own thread must not run it). The owner polls the
// console lines and step failures the program produced, and reads its shared directory.
// stop() types 9, waits (exit bound), then kills the program's whole process group.
//
// Threading rule: every public member is called from one owner thread (the world's); one worker
// thread per peer runs the menu steps; the two meet only in a mutex-guarded queue and lists.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "real/external/external_process.hpp"
#include "real/external/menu_driver.hpp"
#include "real/external/workspace.hpp"

namespace eachare::external {

// One menu command, with names already resolved to addresses.
struct menu_step {
  enum class kind : std::uint8_t {
    hello,           // 1, then `address`'s number
    list_peers,      // 1, then 0
    get_peers,       // 2
    list_local,      // 3
    search,          // 4, then 0
    download,        // 4, then the row of `file` (and `size`)
    show_stats,      // 5
    set_chunk_size,  // 6, then `chunk`
    quit,            // 9
  };
  kind what = kind::get_peers;
  std::string address;
  std::string file;
  std::optional<std::uint64_t> size;
  std::int64_t chunk = 0;
};

const char* to_string(menu_step::kind k);

struct external_peer_config {
  std::string peer;  // the scenario's name for it (messages)
  implementation impl;
  std::string address;
  std::vector<std::string> neighbours;                       // addresses, in file order
  std::vector<std::pair<std::string, std::uint64_t>> files;  // generated into {shared}
  std::uint64_t seed = 1;                                    // file contents
  driver_bounds bounds;
};

// A step that did not end as the menu promised, or a problem with the program itself.
struct peer_failure {
  duration time{0};
  std::string what;  // one line, naming the step and the bound or the program's end
};

// What a finished step printed that checks may need.
struct step_record {
  menu_step step;
  duration started{0};
  duration ended{0};
  step_outcome outcome;
  std::vector<search_entry> search;  // search / download
  std::vector<stats_entry> stats;    // show_stats
};

class external_peer {
 public:
  external_peer(external_peer_config config, workspace& ws, clock::time_point epoch);
  ~external_peer();
  external_peer(const external_peer&) = delete;
  external_peer& operator=(const external_peer&) = delete;

  // Writes its files and starts the program; the first menu is awaited on the worker thread.
  // False when it could not be started at all (failures() says why).
  bool start();
  // Queues a menu step (ignored once the program is broken: recorded as a failure instead).
  void submit(menu_step step);
  // Waits (bounded) until every queued step ran. False on timeout.
  bool wait_idle(std::chrono::milliseconds bound);
  // Queues 9 behind the pending steps, waits for it (exit bound), then kills the process group.
  void stop();
  // SIGKILL to the process group now (a crash); pause/resume: SIGSTOP/SIGCONT to the group.
  void crash();
  void pause();
  void resume();

  // Console lines since the previous call (the owner turns them into trace events).
  std::vector<console_line> new_lines();
  std::vector<console_line> all_lines() const;
  std::vector<peer_failure> failures() const;
  std::vector<step_record> steps() const;
  bool broken() const;  // the program is gone, flooding, or not at its menu any more
  bool running() const;

  const external_peer_config& config() const { return config_; }
  const std::filesystem::path& shared() const { return shared_; }

 private:
  void worker();
  void run(const menu_step& s);
  void fail(std::string what);

  external_peer_config config_;
  workspace& ws_;
  clock::time_point epoch_;
  std::filesystem::path shared_;
  std::unique_ptr<external_process> proc_;
  std::unique_ptr<menu_driver> menu_;
  std::size_t cursor_ = 0;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<menu_step> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  bool broken_ = false;
  std::vector<peer_failure> failures_;
  std::vector<step_record> steps_;
  std::thread worker_;
};

}  // namespace eachare::external
