// A back-end call in a forked child process, shared by CBC and Z3. The child runs the solver and
// sends its answers through a pipe as length-prefixed records: any number of progress records
// (an incumbent found so far) and one final record, or an error record (the message of an
// exception). The parent waits at most `kill_after_s`, then kills the child: a solver that
// overruns its own time limit (libz3 checks it only now and then; CBC's assertions abort) can
// neither hold prunecert past --timeout nor end it. A killed child gives a `timeout` answer, a
// crashed one an `unknown` answer; both keep the last progress record's point and bounds.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "solvers/internal.h"
#include "src/util/errors.h"

namespace solvers {

namespace {

enum class Record : char { progress = 'P', final = 'F', error = 'E' };

void put(std::string& out, const void* p, size_t n) { out.append(static_cast<const char*>(p), n); }

std::string serialise(const BackendAnswer& a) {
  std::string out;
  const int status = static_cast<int>(a.status);
  const size_t note = a.note.size(), n = a.values.size();
  put(out, &status, sizeof status);
  put(out, &a.objective_lower, sizeof(double));
  put(out, &a.objective_upper, sizeof(double));
  put(out, &a.rounds, sizeof a.rounds);
  put(out, &note, sizeof note);
  put(out, a.note.data(), note);
  put(out, &n, sizeof n);
  put(out, a.values.data(), n * sizeof(double));
  return out;
}

bool deserialise(const std::string& in, BackendAnswer& a) {
  size_t at = 0;
  auto get = [&](void* p, size_t n) {
    if (at + n > in.size()) return false;
    std::memcpy(p, in.data() + at, n);
    at += n;
    return true;
  };
  int status = 0;
  size_t note = 0, n = 0;
  if (!get(&status, sizeof status) || !get(&a.objective_lower, sizeof(double)) ||
      !get(&a.objective_upper, sizeof(double)) || !get(&a.rounds, sizeof a.rounds) || !get(&note, sizeof note) ||
      note > in.size())
    return false;
  a.note.resize(note);
  if (!get(a.note.data(), note) || !get(&n, sizeof n) || n > in.size()) return false;
  a.values.resize(n);
  if (!get(a.values.data(), n * sizeof(double)) || at != in.size()) return false;
  if (status < 0 || status > static_cast<int>(BackendAnswer::Status::timeout)) return false;
  a.status = static_cast<BackendAnswer::Status>(status);
  return true;
}

// Writes one record (kind, length, payload) in full; false when the pipe is gone.
bool send(int fd, Record kind, const std::string& payload) {
  std::string bytes(1, static_cast<char>(kind));
  const size_t n = payload.size();
  put(bytes, &n, sizeof n);
  bytes += payload;
  for (size_t done = 0; done < bytes.size();) {
    const ssize_t w = write(fd, bytes.data() + done, bytes.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    done += static_cast<size_t>(w);
  }
  return true;
}

// The complete records at the front of `bytes` (a killed child may leave a partial one).
struct Received {
  bool has_progress = false, has_final = false, has_error = false;
  BackendAnswer progress, final;
  std::string error;
};

Received parse(const std::string& bytes) {
  Received got;
  size_t at = 0;
  while (at + 1 + sizeof(size_t) <= bytes.size()) {
    const auto kind = static_cast<Record>(bytes[at]);
    size_t n = 0;
    std::memcpy(&n, bytes.data() + at + 1, sizeof n);
    if (n > bytes.size() - at - 1 - sizeof n) break;
    const std::string payload = bytes.substr(at + 1 + sizeof n, n);
    at += 1 + sizeof n + n;
    BackendAnswer a;
    switch (kind) {
      case Record::progress:
        if (deserialise(payload, a)) got.has_progress = true, got.progress = std::move(a);
        break;
      case Record::final:
        if (deserialise(payload, a)) got.has_final = true, got.final = std::move(a);
        break;
      case Record::error:
        got.has_error = true;
        got.error = payload;
        break;
    }
  }
  return got;
}

void close_all(std::initializer_list<int> fds) {
  for (int f : fds)
    if (f >= 0) close(f);
}

}  // namespace

BackendAnswer run_isolated(const char* solver, double kill_after_s, const IsolatedSolve& solve,
                           const std::function<std::string()>& on_crash) {
  int out[2], err[2];  // the records; the child's stderr (an assertion message)
  if (pipe(out) != 0) throw util::InternalError(std::string(solver) + ": pipe failed: " + std::strerror(errno));
  if (pipe(err) != 0) {
    close_all({out[0], out[1]});
    throw util::InternalError(std::string(solver) + ": pipe failed: " + std::strerror(errno));
  }
  std::fflush(nullptr);  // nothing buffered may be written twice
  const pid_t pid = fork();
  if (pid < 0) {
    close_all({out[0], out[1], err[0], err[1]});
    throw util::InternalError(std::string(solver) + ": fork failed: " + std::strerror(errno));
  }
  if (pid == 0) {  // child: solve, send, leave without running the parent's exit handlers
    close(out[0]);
    close(err[0]);
    dup2(err[1], STDERR_FILENO);
    close(err[1]);
    int code = 0;
    try {
      const BackendAnswer a = solve([&](const BackendAnswer& p) { send(out[1], Record::progress, serialise(p)); });
      if (!send(out[1], Record::final, serialise(a))) code = 3;
    } catch (const std::exception& e) {
      send(out[1], Record::error, e.what());
      code = 4;
    } catch (...) {
      send(out[1], Record::error, "an unknown exception");
      code = 4;
    }
    close(out[1]);
    _exit(code);
  }
  close(out[1]);
  close(err[1]);
  std::string bytes, errors;
  const auto start = std::chrono::steady_clock::now();
  bool killed = false;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* sink[2] = {&bytes, &errors};
  char buf[1 << 16];
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    const double left = kill_after_s - seconds_since(start);
    if (left <= 0) {
      kill(pid, SIGKILL);
      killed = true;
      break;
    }
    const int ready = poll(fds, 2, static_cast<int>(std::min(left * 1000.0, 1.0e6)) + 1);
    if (ready <= 0) continue;  // EINTR or time: check the limit again
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t r = read(fds[i].fd, buf, sizeof buf);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {  // EOF: the child closed it (done or dead)
        close(fds[i].fd);
        fds[i].fd = -1;
        continue;
      }
      if (i == 0 || sink[i]->size() < 4096u) sink[i]->append(buf, static_cast<size_t>(r));
    }
  }
  close_all({fds[0].fd, fds[1].fd});
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  while (!errors.empty() && (errors.back() == '\n' || errors.back() == '\r')) errors.pop_back();
  if (const size_t nl = errors.find_last_of('\n'); nl != std::string::npos) errors = errors.substr(nl + 1);

  const Received got = parse(bytes);
  if (got.has_error) throw util::InternalError(std::string(solver) + " (child process): " + got.error);
  if (got.has_final && !killed && WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) return got.final;
  BackendAnswer a = got.has_progress ? got.progress : BackendAnswer{};
  if (killed) {
    a.status = BackendAnswer::Status::timeout;
    a.note = std::string(solver) + ": did not stop at its time limit and was killed";
  } else if (WIFSIGNALED(wstatus)) {
    a.status = BackendAnswer::Status::unknown;
    a.crashed = true;
    a.note = std::string(solver) + " crashed (" + strsignal(WTERMSIG(wstatus)) + (errors.empty() ? "" : ": " + errors) +
             "); answer unknown";
    if (on_crash) a.note += on_crash();
  } else {
    a.status = BackendAnswer::Status::unknown;
    a.note = std::string(solver) + ": the solver process failed" + (errors.empty() ? std::string() : ": " + errors);
  }
  return a;
}

}  // namespace solvers
