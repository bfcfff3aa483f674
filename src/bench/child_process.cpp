// fork/exec with setrlimit and a wall-clock kill (child_process.h). Output goes to unlinked
// temporary files rather than pipes, so a chatty child can never block on a full pipe while we
// wait for it.
#include "src/bench/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "src/util/errors.h"

namespace bench {

namespace {

int temp_fd() {
  std::string dir = std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp";
  std::string tmpl = dir + "/prunecert_bench_XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  const int fd = mkstemp(buf.data());
  if (fd < 0) throw util::InternalError("bench: cannot create a temporary file in " + dir);
  unlink(buf.data());
  return fd;
}

std::string read_all(int fd) {
  std::string s;
  lseek(fd, 0, SEEK_SET);
  char buf[65536];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) s.append(buf, static_cast<size_t>(n));
  close(fd);
  return s;
}

}  // namespace

std::string self_executable() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("prunecert") : p.string();
}

ChildResult run_child(const std::vector<std::string>& argv, const ChildLimits& limits) {
  if (argv.empty() || access(argv[0].c_str(), X_OK) != 0)
    throw util::InputError(argv.empty() ? "--worker" : argv[0], "", "is not an executable file");
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  const int out_fd = temp_fd(), err_fd = temp_fd();
  const auto t0 = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid < 0) throw util::InternalError("bench: fork failed");
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    setpgid(0, 0);
    dup2(out_fd, STDOUT_FILENO);
    dup2(err_fd, STDERR_FILENO);
    const int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
    rlimit core{0, 0};
    setrlimit(RLIMIT_CORE, &core);
    if (limits.memory_gib > 0) {
      const rlim_t bytes = static_cast<rlim_t>(limits.memory_gib * 1073741824.0);
      rlimit as{bytes, bytes};
      setrlimit(RLIMIT_AS, &as);
    }
    // Backstop only (the wall-clock kill is the limit): multithreaded children use CPU faster
    // than wall time, so allow several cores' worth.
    const rlim_t cpu = static_cast<rlim_t>(std::ceil(limits.wall_s * 4 + 10));
    rlimit cpu_limit{cpu, cpu + 5};
    setrlimit(RLIMIT_CPU, &cpu_limit);
    execv(cargv[0], cargv.data());
    _exit(127);
  }
  setpgid(pid, pid);  // also from the parent, so the group exists before we might kill it
  ChildResult r;
  int status = 0;
  rusage usage{};
  for (;;) {
    const pid_t done = wait4(pid, &status, WNOHANG, &usage);
    if (done == pid) break;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (elapsed > limits.wall_s) {
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      wait4(pid, &status, 0, &usage);
      r.killed = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(elapsed < 1 ? 2 : 20));
  }
  kill(-pid, SIGKILL);  // grandchildren left behind by the worker (peer scripts) go too
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.peak_mem_mb = static_cast<double>(usage.ru_maxrss) / 1024.0;
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  r.out = read_all(out_fd);
  r.err = read_all(err_fd);
  return r;
}

}  // namespace bench
