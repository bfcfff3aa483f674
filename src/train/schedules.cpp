// Curricula: the lambda warm-up and ramp of the pruning-robust loss (seed 003 A.5: 5 warm-up
// epochs, then lambda1, lambda2 rise linearly from 0 over 10 epochs, updated at every batch)
// and the eps-scheduler(eps_max, t, s, l) of seed 004 (0 until epoch s, eps_max after s + l).
// Both are the same clipped linear ramp of the training progress counted in epochs; the eps
// ramp moves at every batch, not once per epoch as Algorithm 1 line 4 writes it. A batch is
// trained at the progress of its end (batch_progress).
#include <algorithm>

#include "src/train/train.h"

namespace train {

namespace {
double linear_ramp(double progress, double start, double length) {
  if (progress < start) return 0.0;
  if (length <= 0) return 1.0;
  return std::min(1.0, (progress - start) / length);
}
}  // namespace

double lambda_scale(double progress, double warmup, double ramp) { return linear_ramp(progress, warmup, ramp); }

double batch_progress(int epoch, int b, int batches) {
  return epoch + static_cast<double>(b + 1) / batches;
}

double scheduled_eps(double eps_max, double progress, double start, double length) {
  return eps_max * linear_ramp(progress, start, length);
}

}  // namespace train
