// Copyright hvdb authors. The exact probability that a bundle member is
// retrieved as the nearest item.
#include <cmath>
#include <string>
#include <vector>

#include "hvdb/hdc.h"

namespace hvdb::hdc {
namespace {

double LogChoose(double n, double k) { return std::lgamma(n + 1) - std::lgamma(k + 1) - std::lgamma(n - k + 1); }

// P(X = k) for X ~ Binomial(n, p), k = 0..n.
std::vector<double> BinomialPmf(size_t n, double p) {
  std::vector<double> pmf(n + 1);
  const double lp = std::log(p), lq = std::log1p(-p);
  for (size_t k = 0; k <= n; ++k) {
    pmf[k] = std::exp(LogChoose(static_cast<double>(n), static_cast<double>(k)) + static_cast<double>(k) * lp +
                      static_cast<double>(n - k) * lq);
  }
  return pmf;
}

}  // namespace

Result<double> RetrievalProbability(size_t dim, size_t members, size_t others) {
  HVDB_RETURN_IF_ERROR(ValidateDim(dim));
  if (members == 0) return Status::InvalidArgument("capacity: a bundle needs at least one member");
  // p: chance a member's bit equals the bundle's. The other M - 1 members
  // contribute X ~ Binomial(M - 1, 1/2) ones where the member has a one; the
  // bundle follows the majority, a tie (even M) follows a random tie bit.
  double agree = 0;
  const std::vector<double> x = BinomialPmf(members - 1, 0.5);
  for (size_t k = 0; k < members; ++k) {
    const double ones = 1.0 + static_cast<double>(k), half = static_cast<double>(members) / 2;
    agree += x[k] * (ones > half ? 1.0 : ones == half ? 0.5 : 0.0);
  }
  const std::vector<double> member = BinomialPmf(dim, 1 - agree);  // distance member -> bundle
  const std::vector<double> other = BinomialPmf(dim, 0.5);         // distance non-member -> bundle
  // P(non-member distance > d), from the top.
  std::vector<double> farther(dim + 2, 0.0);
  for (size_t d = dim + 1; d-- > 0;) farther[d] = farther[d + 1] + (d + 1 <= dim ? other[d + 1] : 0.0);
  double success = 0;
  for (size_t d = 0; d <= dim; ++d) {
    if (member[d] < 1e-300) continue;
    success += member[d] * std::pow(std::min(1.0, farther[d]), static_cast<double>(others));
  }
  return std::min(1.0, success);
}

}  // namespace hvdb::hdc
