// One rank: the build without MPI (ranks.h).
#include "src/bench/ranks.h"

namespace bench {

Ranks::Ranks() = default;
Ranks::~Ranks() = default;
std::string Ranks::gather_to_root(const std::string& mine) { return mine; }
void Ranks::barrier() {}
bool Ranks::available() { return false; }

}  // namespace bench
