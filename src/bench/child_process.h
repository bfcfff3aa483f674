// Runs one benchmark job as a child process (fork/exec) under hard limits: its own process group,
// RLIMIT_AS for memory, RLIMIT_CPU as a backstop, no core dumps, and a wall-clock deadline after
// which the whole group is killed. Whatever the child does (crash, hang, run out of memory), the
// caller gets a ChildResult back and the sweep goes on.
#pragma once
#include <string>
#include <vector>

namespace bench {

struct ChildLimits {
  double wall_s = 60;      // the group is killed (SIGKILL) after this many seconds
  double memory_gib = 4;   // address-space limit; <= 0: none
};

struct ChildResult {
  int exit_code = -1;       // exit status when the child exited, -1 otherwise
  int signal = 0;           // the signal that ended it, 0 when it exited
  bool killed = false;      // we killed it at the wall-clock deadline
  double wall_s = 0;        // from fork to reaping
  double peak_mem_mb = 0;   // maximum resident set size (getrusage)
  std::string out, err;     // its stdout and stderr
};

// argv[0] is the executable's path. Throws util::InputError when argv[0] cannot be executed.
ChildResult run_child(const std::vector<std::string>& argv, const ChildLimits& limits);

// The path of the running executable (/proc/self/exe).
std::string self_executable();

}  // namespace bench
