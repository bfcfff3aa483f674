// VNN-LIB reader and printer for the subset VNN-COMP uses: declare-const of X_i / Y_i,
// asserts of <=, >= (and <, >, treated as non-strict) over constants, variables and linear
// terms, and/or in the output part. The input part must describe boxes (possibly a
// disjunction of boxes); the output part becomes a disjunction of conjunctions of rows.
#pragma once
#include <string>

#include "src/spec/property.h"

namespace spec {

// Throws util::InputError(path, "line N", problem) on malformed input.
Spec read_vnnlib(const std::string& path);
Spec parse_vnnlib(const std::string& text, const std::string& source_name);
// Prints a Spec as VNN-LIB that parse_vnnlib reads back to an identical Spec (%.17g numbers).
std::string print_vnnlib(const Spec& spec);

}  // namespace spec
