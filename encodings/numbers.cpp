// Number formatting for the writers and back ends. A double is a dyadic rational m * 2^e, so
// its exact decimal expansion is finite: SMT-LIB2 files and Z3 numerals get that exact value
// (GMP), so they state the same problem as the doubles in memory. MPS/LP are read back as
// doubles, so the shortest round-trip decimal is exact for them.
#include <gmpxx.h>

#include <charconv>
#include <cmath>

#include "encodings/internal.h"
#include "src/util/errors.h"

namespace encodings {

namespace {

void require_finite(double v) {
  if (!std::isfinite(v)) throw util::InternalError("cannot write a non-finite number as an exact rational");
}

// Exact decimal of |v| with at least one digit on each side of the point.
std::string exact_decimal_abs(double v) {
  mpq_class q(std::abs(v));  // exact (mpq_set_d)
  q.canonicalize();
  mpz_class num = q.get_num(), den = q.get_den();  // den = 2^e
  size_t e = mpz_sizeinbase(den.get_mpz_t(), 2) - 1;
  // num / 2^e = num * 5^e / 10^e
  mpz_class five_e;
  mpz_ui_pow_ui(five_e.get_mpz_t(), 5, e);
  mpz_class scaled = num * five_e;
  std::string digits = scaled.get_str();
  if (e == 0) return digits + ".0";
  if (digits.size() <= e) digits.insert(0, e - digits.size() + 1, '0');
  std::string out = digits.substr(0, digits.size() - e) + "." + digits.substr(digits.size() - e);
  return out;
}

}  // namespace

std::string smt_number(double v) {
  require_finite(v);
  std::string s = exact_decimal_abs(v);
  return std::signbit(v) && v != 0.0 ? "(- " + s + ")" : s;
}

std::string rational_string(double v) {
  require_finite(v);
  mpq_class q(v);
  q.canonicalize();
  return q.get_str();
}

std::string shortest_double(double v) {
  require_finite(v);
  if (v == 0.0) return "0";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

}  // namespace encodings
