#pragma once
// Greedy sequential q-batches (BoTorch's sequential optimize_acqf; Daulton et al. 2021, sec. 4
// for qNEHVI): pick q points one at a time, each maximising an acquisition conditioned on the
// points already picked as pending,
//   x_k = argmax_x  make_acquisition(X_pending = [x_1 .. x_{k-1}])(x),
// which for qNEHVI is a (1 - 1/e)-approximation of the joint q-point optimum in expectation
// (submodularity of the HVI). An optimiser with `avoiding(rows)` (local_search,
// exhaustive_search) is also told never to return the pending points again.
// make_acquisition receives the pending points [k, d], an undefined tensor for k = 0.
// Returns [q, d].
//
// Example:
//   auto X = sequential_greedy(local_search(grid, o), [&](const torch::Tensor& pending) {
//     return qlog_nehvi(model, ref, X_observed, {.X_pending = pending});
//   }, 4);
#include <autopeft/error.hpp>
#include <autopeft/mobo/concepts.hpp>

#include <torch/torch.h>

#include <cstdint>

namespace autopeft::mobo {

struct sequential_greedy_fn {
  template <class O, class F>
  [[nodiscard]] torch::Tensor operator()(const O& optimizer, F&& make_acquisition,
                                         std::int64_t q) const {
    static_assert(detail::check_acquisition_optimizer<O>());
    if (q < 1) throw error("sequential_greedy: q must be >= 1, got " + std::to_string(q));
    torch::Tensor pending;
    for (std::int64_t k = 0; k < q; ++k) {
      const auto acq = make_acquisition(pending);
      torch::Tensor x;
      if constexpr (requires { optimizer.avoiding(pending); }) {
        x = k == 0 ? optimizer(acq) : optimizer.avoiding(pending)(acq);
      } else {
        x = optimizer(acq);
      }
      x = x.detach().to(torch::kFloat64).view({1, -1});
      pending = k == 0 ? x : torch::cat({pending, x});
    }
    return pending;
  }
};

inline constexpr sequential_greedy_fn sequential_greedy{};

}  // namespace autopeft::mobo
