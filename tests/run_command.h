// Running a command line from a test: the prunecert binary under test, or an external tool.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace testutil {

struct CmdRun {
  int code;         // exit status; 128 + N when killed by signal N; -1 when it could not start
  std::string out;  // stdout, and stderr unless left out
};

inline CmdRun run_shell(const std::string& cmd, bool with_stderr = true) {
  FILE* pipe = popen((cmd + (with_stderr ? " 2>&1" : " 2>/dev/null")).c_str(), "r");
  if (!pipe) return {-1, ""};
  std::array<char, 4096> buf;
  std::string out;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  const int status = pclose(pipe);
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
  return {code, out};
}

#ifdef PRUNECERT_BINARY
inline CmdRun run_prunecert(const std::string& args, bool with_stderr = true) {
  return run_shell(std::string(PRUNECERT_BINARY) + " " + args, with_stderr);
}
#endif

}  // namespace testutil
