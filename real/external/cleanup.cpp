#include "real/external/cleanup.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <mutex>
#include <set>
#include <thread>

namespace eachare::external::cleanup {

namespace {

std::mutex& guard() {
  static std::mutex m;
  return m;
}
std::set<pid_t>& groups() {
  static std::set<pid_t> g;
  return g;
}
std::set<std::filesystem::path>& dirs() {
  static std::set<std::filesystem::path> d;
  return d;
}

}  // namespace

void add_group(pid_t pgid) {
  std::lock_guard lock(guard());
  groups().insert(pgid);
}

void remove_group(pid_t pgid) {
  std::lock_guard lock(guard());
  groups().erase(pgid);
}

void add_dir(const std::filesystem::path& dir) {
  std::lock_guard lock(guard());
  dirs().insert(dir);
}

void remove_dir(const std::filesystem::path& dir) {
  std::lock_guard lock(guard());
  dirs().erase(dir);
}

void on_termination() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([set] {
    int sig = 0;
    if (::sigwait(&set, &sig) != 0) return;
    {
      // Held to the end: nothing registers or unregisters while the process goes away.
      std::lock_guard lock(guard());
      for (const pid_t g : groups()) ::kill(-g, SIGKILL);
      for (const auto& d : dirs()) {
        std::error_code ec;
        std::filesystem::remove_all(d, ec);
      }
      ::_exit(128 + sig);
    }
  }).detach();
}

}  // namespace eachare::external::cleanup
