// Floating-point error analysis (Higham, Accuracy and Stability of Numerical Algorithms, 3.1):
// the unit roundoff of double, and gamma_n = n u / (1 - n u), which bounds the relative error of
// a sum or dot product of n terms (|fl(sum) - sum| <= gamma_n sum |terms|), in any order.
#pragma once

namespace util {

inline constexpr double kUnitRoundoff = 0x1p-53;
inline double rounding_gamma(double n) { return n * kUnitRoundoff / (1 - n * kUnitRoundoff); }

}  // namespace util
