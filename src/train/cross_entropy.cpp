// Softmax cross-entropy of logits, the data term of every loss (seed 003 eq. 11's CE; with
// worst-case logits it is the robust loss of seed 004 eq. 1). Log-sum-exp is shifted by the
// column maximum so that large logits do not overflow.
#include "src/train/internal.h"

namespace train::detail {

double softmax_cross_entropy(const Matrix& logits, const int* y, Matrix* g, int* correct) {
  double total = 0;
  if (g) g->resize(logits.rows(), logits.cols());
  for (Eigen::Index j = 0; j < logits.cols(); ++j) {
    Eigen::Index arg = 0;
    const double top = logits.col(j).maxCoeff(&arg);
    if (correct && arg == y[j]) ++*correct;
    const Vector e = (logits.col(j).array() - top).exp().matrix();
    const double sum = e.sum();
    total += std::log(sum) + top - logits(y[j], j);
    if (g) {
      g->col(j) = e / sum;
      (*g)(y[j], j) -= 1.0;
    }
  }
  return total;
}

}  // namespace train::detail
