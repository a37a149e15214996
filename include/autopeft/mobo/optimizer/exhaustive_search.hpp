#pragma once
// Exhaustive search over an enumerated candidate set (small spaces, e.g. lattice::enumerate()),
// MAXIMISATION: evaluates the acquisition on all candidates [N, 1, d] in chunks of batch_size
// and returns the best one that is not in `avoid`, [1, d].
//
// Example:
//   exhaustive_search opt(grid.enumerate(), {.avoid = X_observed});
//   auto x = opt(acq);
#include <autopeft/error.hpp>
#include <autopeft/mobo/concepts.hpp>
#include <autopeft/mobo/optimizer/detail/rows.hpp>

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

namespace autopeft::mobo {

struct exhaustive_search_options {
  torch::Tensor avoid = {};             // [a, d]
  std::int64_t batch_size = 1024;  // candidates per acquisition call
};

class exhaustive_search {
 public:
  explicit exhaustive_search(const torch::Tensor& candidates, exhaustive_search_options o = {})
      : c_(candidates.detach().to(torch::kFloat64)), o_(std::move(o)) {
    if (c_.dim() != 2 || c_.size(0) == 0)
      throw error("exhaustive_search: candidates must be a non-empty [N, d], got " +
                  c10::str(c_.sizes()));
  }

  [[nodiscard]] exhaustive_search avoiding(const torch::Tensor& more) const {
    auto copy = *this;
    copy.o_.avoid = detail::append_rows(o_.avoid, more);
    return copy;
  }

  template <class A>
  [[nodiscard]] torch::Tensor operator()(const A& acq) const {
    static_assert(detail::check_acquisition<A>());
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> values;
    for (std::int64_t i = 0; i < c_.size(0); i += o_.batch_size) {
      const auto chunk = c_.narrow(0, i, std::min(o_.batch_size, c_.size(0) - i));
      values.push_back(acq(chunk.unsqueeze(1)).detach().to(torch::kFloat64));
    }
    torch::Tensor v = torch::nan_to_num(torch::cat(values), -std::numeric_limits<double>::infinity());
    if (o_.avoid.defined() && o_.avoid.numel() > 0) {
      const auto hit = (c_.unsqueeze(1) - o_.avoid.unsqueeze(0)).abs().amax(-1).le(1e-9).any(-1);
      v = v.masked_fill(hit, -std::numeric_limits<double>::infinity());
    }
    const auto j = v.argmax().item<std::int64_t>();
    if (!std::isfinite(v[j].item<double>()) && v[j].item<double>() < 0)
      throw error("exhaustive_search: every candidate is avoided or has a -inf/NaN value");
    return c_[j].unsqueeze(0);
  }

 private:
  torch::Tensor c_;
  exhaustive_search_options o_;
};

}  // namespace autopeft::mobo
