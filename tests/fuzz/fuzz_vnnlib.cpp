// libFuzzer harness for the VNN-LIB parser: every input must be parsed or rejected with
// util::InputError. Anything else (a crash, another exception, a hang, a leak, undefined
// behaviour) is a bug, and so is a parsed Spec that print_vnnlib does not reproduce exactly.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "src/spec/vnnlib.h"
#include "src/util/errors.h"

namespace {

bool same(const spec::Vector& a, const spec::Vector& b) { return a.size() == b.size() && a == b; }

bool same(const spec::Spec& a, const spec::Spec& b) {
  if (a.num_inputs != b.num_inputs || a.num_outputs != b.num_outputs || a.cases.size() != b.cases.size()) return false;
  for (size_t k = 0; k < a.cases.size(); ++k) {
    const auto &ca = a.cases[k], &cb = b.cases[k];
    if (!same(ca.box.lo, cb.box.lo) || !same(ca.box.hi, cb.box.hi)) return false;
    if (ca.property.disjuncts.size() != cb.property.disjuncts.size()) return false;
    for (size_t d = 0; d < ca.property.disjuncts.size(); ++d) {
      const auto &ra = ca.property.disjuncts[d].rows, &rb = cb.property.disjuncts[d].rows;
      if (ra.size() != rb.size()) return false;
      for (size_t r = 0; r < ra.size(); ++r)
        if (!same(ra[r].c, rb[r].c) || ra[r].d != rb[r].d) return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  spec::Spec s;
  try {
    s = spec::parse_vnnlib(std::string(reinterpret_cast<const char*>(data), size), "fuzz");
  } catch (const util::InputError&) {
    return 0;
  }
  if (!same(s, spec::parse_vnnlib(spec::print_vnnlib(s), "printed"))) std::abort();
  return 0;
}
