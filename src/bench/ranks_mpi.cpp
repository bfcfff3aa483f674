// Ranks over MPI (ranks.h): MPI_Gatherv of each rank's rows to rank 0.
// The C API only: OpenMPI's mpi.h otherwise pulls in its C++ bindings (libmpi_cxx, not linked).
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

#include <cstdlib>
#include <vector>

#include "src/bench/ranks.h"

namespace bench {

namespace {
bool launched_by_mpirun() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS"})
    if (std::getenv(v)) return true;
  return false;
}
}  // namespace

Ranks::Ranks() {
  if (!launched_by_mpirun()) return;
  int already = 0;
  MPI_Initialized(&already);
  if (!already) {
    MPI_Init(nullptr, nullptr);
    initialised_ = true;
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

Ranks::~Ranks() {
  if (initialised_) MPI_Finalize();
}

std::string Ranks::gather_to_root(const std::string& mine) {
  if (size_ == 1) return mine;
  int len = static_cast<int>(mine.size());
  std::vector<int> lens(size_), offsets(size_);
  MPI_Gather(&len, 1, MPI_INT, lens.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  int total = 0;
  for (int r = 0; r < size_; ++r) offsets[r] = total, total += lens[r];
  std::string all(rank_ == 0 ? static_cast<size_t>(total) : 0, '\0');
  MPI_Gatherv(mine.data(), len, MPI_CHAR, all.data(), lens.data(), offsets.data(), MPI_CHAR, 0, MPI_COMM_WORLD);
  return rank_ == 0 ? all : std::string();
}

void Ranks::barrier() {
  if (size_ > 1) MPI_Barrier(MPI_COMM_WORLD);
}

bool Ranks::available() { return true; }

}  // namespace bench
