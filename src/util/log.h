// Two log channels (STYLE.md): user-facing messages by verbosity level (stderr), and
// developer tracing (PC_TRACE) that compiles out of release builds.
#pragma once
#include <cstdio>
#include <string>

namespace util {

enum class LogLevel { quiet = 0, normal = 1, verbose = 2, debug = 3 };
void set_log_level(LogLevel level);
LogLevel log_level();
// printf-style message to stderr when the current level is at least `level`.
void log(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
// True when stderr is a terminal (progress lines are shown only then).
bool stderr_is_terminal();

}  // namespace util

#ifdef PRUNECERT_TRACE
#define PC_TRACE(...) std::fprintf(stderr, __VA_ARGS__)
#else
#define PC_TRACE(...) ((void)0)
#endif
