// Owns a Clp_Simplex (Clp's C interface): the one RAII wrapper of the modules that solve LPs with
// Clp themselves (encodings' LP tightening, bab's leaf LPs, brute's certified LPs). Each of them
// links Clp privately (prunecert_link_clp or CBC) and includes this header only in its .cpp files.
#pragma once
#include <Clp_C_Interface.h>

namespace encodings {

struct ClpHandle {
  Clp_Simplex* m = Clp_newModel();
  ~ClpHandle() { Clp_deleteModel(m); }
  ClpHandle() = default;
  ClpHandle(const ClpHandle&) = delete;
  ClpHandle& operator=(const ClpHandle&) = delete;
};

}  // namespace encodings
