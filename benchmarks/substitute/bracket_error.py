"""The worst relative error of a substitute's d_bnd given the brackets of both distances, shared
by summarize.py and target_f_bracket.py."""


def worst_error(lo_f, hi_f, lo_g, hi_g):
    """The largest |d_g - d_f| / d_f over d_f in [lo_f, hi_f] and d_g in [lo_g, hi_g]: where
    d_g > d_f, (d_g - d_f) / d_f is largest at (lo_f, hi_g); where d_f > d_g, 1 - d_g / d_f is
    largest at (hi_f, lo_g) (it grows with d_f, and tends to 1 as hi_f grows without bound).
    Before 2026-12-07 the second term was divided by lo_f, a looser bound."""
    if not lo_f > 0:  # f's lower end never left 0 (or is missing): no relative bound
        return float("inf")
    above = (hi_g - lo_f) / lo_f
    below = 1.0 if hi_f == float("inf") else (hi_f - lo_g) / hi_f
    return max(above, below)
