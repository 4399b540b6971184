#include "real/external/external_peer.hpp"

#include <signal.h>

namespace eachare::external {

const char* to_string(menu_step::kind k) {
  switch (k) {
    case menu_step::kind::hello:
      return "hello (1)";
    case menu_step::kind::list_peers:
      return "list_peers (1)";
    case menu_step::kind::get_peers:
      return "get_peers (2)";
    case menu_step::kind::list_local:
      return "list_local (3)";
    case menu_step::kind::search:
      return "search (4)";
    case menu_step::kind::download:
      return "download (4)";
    case menu_step::kind::show_stats:
      return "show_stats (5)";
    case menu_step::kind::set_chunk_size:
      return "set_chunk_size (6)";
    case menu_step::kind::quit:
      return "bye (9)";
  }
  return "?";
}

external_peer::external_peer(external_peer_config config, workspace& ws, clock::time_point epoch)
    : config_(std::move(config)), ws_(ws), epoch_(epoch) {}

external_peer::~external_peer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    queue_.clear();
  }
  changed_.notify_all();
  if (proc_) proc_->kill_group(std::chrono::milliseconds(500));
  if (worker_.joinable()) worker_.join();
  proc_.reset();
}

void external_peer::fail(std::string what) {
  // Called with mutex_ held.
  const auto t = clock::now() - epoch_;
  failures_.push_back({t, config_.impl.name + " as " + config_.peer + ": " + std::move(what)});
}

bool external_peer::start() {
  const auto neighbours = ws_.write_neighbours(config_.peer, config_.neighbours);
  shared_ = ws_.shared_dir(config_.peer);
  for (const auto& [name, size] : config_.files) {
    ws_.put_generated(config_.peer, name, size, config_.seed);
  }
  spawn_options o;
  o.argv = expand(config_.impl.cmd, config_.address, neighbours.string(), shared_.string());
  o.cwd = config_.impl.cwd;
  o.env = config_.impl.env;
  o.use_pty = config_.impl.use_pty;
  try {
    proc_ = std::make_unique<external_process>(std::move(o), epoch_);
  } catch (const spawn_error& e) {
    std::lock_guard lock(mutex_);
    fail(e.what());
    broken_ = true;
    return false;
  }
  menu_ = std::make_unique<menu_driver>(*proc_, config_.bounds);
  {
    std::lock_guard lock(mutex_);
    busy_ = true;  // the startup wait counts as a step
  }
  worker_ = std::thread([this] { worker(); });
  return true;
}

void external_peer::submit(menu_step step) {
  {
    std::lock_guard lock(mutex_);
    if (broken_ || !proc_) {
      fail(std::string(to_string(step.what)) + " not run: the program is not at its menu");
      return;
    }
    queue_.push_back(std::move(step));
  }
  changed_.notify_all();
}

bool external_peer::wait_idle(std::chrono::milliseconds bound) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, bound, [this] { return queue_.empty() && !busy_; });
}

void external_peer::worker() {
  const auto started = menu_->start();
  {
    std::lock_guard lock(mutex_);
    if (!started.ok) {
      fail("start: " + started.error);
      broken_ = true;
    }
    busy_ = false;
  }
  changed_.notify_all();
  for (;;) {
    menu_step s;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      s = std::move(queue_.front());
      queue_.pop_front();
      if (broken_) {
        fail(std::string(to_string(s.what)) + " not run: the program is not at its menu");
        changed_.notify_all();
        continue;
      }
      busy_ = true;
    }
    run(s);
    {
      std::lock_guard lock(mutex_);
      busy_ = false;
    }
    changed_.notify_all();
  }
}

void external_peer::run(const menu_step& s) {
  step_record r;
  r.step = s;
  r.started = clock::now() - epoch_;
  switch (s.what) {
    case menu_step::kind::hello:
      r.outcome = menu_->hello(s.address);
      break;
    case menu_step::kind::list_peers:
      r.outcome = menu_->list_peers(nullptr);
      break;
    case menu_step::kind::get_peers:
      r.outcome = menu_->get_peers();
      break;
    case menu_step::kind::list_local:
      r.outcome = menu_->list_local(nullptr);
      break;
    case menu_step::kind::search:
      r.outcome = menu_->search(&r.search);
      break;
    case menu_step::kind::download:
      r.outcome = menu_->download(s.file, s.size, &r.search);
      break;
    case menu_step::kind::show_stats:
      r.outcome = menu_->show_stats(&r.stats);
      break;
    case menu_step::kind::set_chunk_size:
      r.outcome = menu_->set_chunk_size(s.chunk);
      break;
    case menu_step::kind::quit:
      r.outcome = menu_->quit();
      break;
  }
  r.ended = clock::now() - epoch_;
  std::lock_guard lock(mutex_);
  if (!r.outcome.ok) {
    fail(std::string(to_string(s.what)) + ": " + r.outcome.error);
    // A program that is gone or flooding, or that did not come back to its menu, cannot be
    // driven further: the remaining steps are reported as not run.
    // One whose step failed but which is at its menu again (a failed download, a row it did not
    // list) goes on with the next step.
    if (!r.outcome.at_menu) broken_ = true;
  }
  steps_.push_back(std::move(r));
}

void external_peer::stop() {
  if (!proc_) return;
  bool queued = false;
  {
    std::lock_guard lock(mutex_);
    if (!broken_ && proc_->running()) {
      queue_.push_back({menu_step::kind::quit, {}, {}, {}, 0});
      queued = true;
    }
  }
  changed_.notify_all();
  if (queued) {
    wait_idle(config_.bounds.exit + config_.bounds.step + config_.bounds.stdin_write);
  }
  proc_->kill_group(std::chrono::milliseconds(500));
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void external_peer::crash() {
  if (proc_) ::kill(-proc_->pid(), SIGKILL);
  std::lock_guard lock(mutex_);
  broken_ = true;
  queue_.clear();
}

void external_peer::pause() {
  if (proc_) ::kill(-proc_->pid(), SIGSTOP);
}

void external_peer::resume() {
  if (proc_) ::kill(-proc_->pid(), SIGCONT);
}

std::vector<console_line> external_peer::new_lines() {
  if (!proc_) return {};
  auto out = proc_->lines(cursor_);
  cursor_ += out.size();
  return out;
}

std::vector<console_line> external_peer::all_lines() const {
  return proc_ ? proc_->lines() : std::vector<console_line>{};
}

std::vector<peer_failure> external_peer::failures() const {
  std::lock_guard lock(mutex_);
  auto out = failures_;
  if (proc_ && proc_->flooded()) {
    out.push_back({proc_->now(), config_.impl.name + " as " + config_.peer +
                                     ": it flooded stdout (" + std::to_string(proc_->bytes_read()) +
                                     " bytes)"});
  }
  return out;
}

std::vector<step_record> external_peer::steps() const {
  std::lock_guard lock(mutex_);
  return steps_;
}

bool external_peer::broken() const {
  std::lock_guard lock(mutex_);
  return broken_;
}

bool external_peer::running() const {
  return proc_ && proc_->running();
}

}  // namespace eachare::external
