// cleanup: what must not outlive eachare-sim when it is told to stop (SIGTERM from `grade
// --class` on its wall-clock bound, Ctrl-C): the process groups of the external programs it
// started (each in a session of its own, so a signal to eachare-sim's group does not reach them)
// and its temporary directories. external_process and workspace register and unregister what they
// own; on_termination() starts a thread that waits for SIGTERM, SIGINT or SIGHUP, kills every
// registered group, removes every registered directory and exits with 128 + the signal.
//
// Threading rule: the registry is guarded by one mutex (any thread may register); on_termination()
// is called once, on the main thread, before any other thread starts (the signals are blocked in
// it and so in every thread started after; the programs' children unblock them before exec).
#pragma once

#include <sys/types.h>

#include <filesystem>

namespace eachare::external::cleanup {

void add_group(pid_t pgid);
void remove_group(pid_t pgid);
void add_dir(const std::filesystem::path& dir);
void remove_dir(const std::filesystem::path& dir);

// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread and starts the thread that handles them.
void on_termination();

}  // namespace eachare::external::cleanup
