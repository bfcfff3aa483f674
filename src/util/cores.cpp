#include "src/util/cores.h"

#include <thread>
#ifdef __GLIBC__
#include <sched.h>
#endif

namespace util {

int usable_cores() {
#ifdef __GLIBC__
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
#endif
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace util
