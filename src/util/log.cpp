// Implementation of the user-facing log channel.
#include "src/util/log.h"

#include <unistd.h>

#include <atomic>
#include <cstdarg>

namespace util {

static std::atomic<int> g_level{static_cast<int>(LogLevel::normal)};

void set_log_level(LogLevel level) { g_level = static_cast<int>(level); }
LogLevel log_level() { return static_cast<LogLevel>(g_level.load()); }

void log(LogLevel level, const char* fmt, ...) {
  if (static_cast<int>(level) > g_level.load()) return;
  va_list ap;
  va_start(ap, fmt);
  std::vfprintf(stderr, fmt, ap);
  va_end(ap);
}

bool stderr_is_terminal() { return isatty(STDERR_FILENO) == 1; }

}  // namespace util
