// TEMPORARY placeholder; replaced by the PGD attack in this session.
#include "src/spec/problem.h"
