// TEMPORARY placeholder; replaced by the CPU engine in this session.
#include "src/bounds/bound_engine.h"
