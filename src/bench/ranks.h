// The ranks of a sweep. Under mpirun (built with MPI), each rank runs every size()-th job and
// rank 0 collects the other ranks' rows; otherwise there is one rank. MPI is initialised only
// when the process was started by a launcher (OMPI_/PMI_ environment), so a plain
// `prunecert bench` never pays for it.
#pragma once
#include <string>

namespace bench {

class Ranks {
 public:
  Ranks();
  ~Ranks();
  Ranks(const Ranks&) = delete;
  Ranks& operator=(const Ranks&) = delete;
  int rank() const { return rank_; }
  int size() const { return size_; }
  // Every rank passes its text; rank 0 gets all of them concatenated in rank order, the others "".
  std::string gather_to_root(const std::string& mine);
  void barrier();
  // True when this binary was built with MPI.
  static bool available();

 private:
  int rank_ = 0, size_ = 1;
  bool initialised_ = false;
};

}  // namespace bench
