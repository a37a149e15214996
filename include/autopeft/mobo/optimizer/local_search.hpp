#pragma once
// Discrete / mixed local search over one-dimension neighbours (AutoPEFT's acquisition
// optimiser, after BoTorch's optimize_acqf_discrete_local_search), MAXIMISATION:
//   from every start x (the given starts, e.g. the inputs of the current Pareto set, plus
//   num_restarts random points): evaluate the acquisition on all neighbours of x in one batch
//   [k, 1, d], move to the best one if it beats x by more than `tolerance`, stop at a local
//   optimum (or after max_iter moves); return the best end point over all starts, [1, d].
// Points in `avoid` (e.g. already evaluated or pending) are never returned: a start in `avoid`
// counts as -inf, so the search always leaves it. The search space is a neighbour function
// x [d] -> {x' [d]} with a random-point function, or a lattice.
//
// Example:
//   lattice grid(values);
//   local_search opt(grid, {.starts = pareto_inputs, .avoid = X_observed});
//   auto x = opt(acq);   // [1, d]
#include <autopeft/error.hpp>
#include <autopeft/mobo/concepts.hpp>
#include <autopeft/mobo/optimizer/detail/rows.hpp>
#include <autopeft/mobo/optimizer/lattice.hpp>

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <utility>
#include <vector>

namespace autopeft::mobo {

struct local_search_options {
  torch::Tensor starts = {};          // [k, d]
  std::int64_t num_restarts = 10;  // random starts in addition
  torch::Tensor avoid = {};           // [a, d]
  std::int64_t max_iter = 100;   // moves per start
  double tolerance = 0.0;
  std::uint64_t seed = 0;
};

class local_search {
 public:
  using neighbour_fn = std::function<std::vector<torch::Tensor>(const torch::Tensor&)>;
  using random_point_fn = std::function<torch::Tensor(std::mt19937_64&)>;

  local_search(neighbour_fn neighbours, random_point_fn random_point,
               local_search_options options = {})
      : neighbours_(std::move(neighbours)),
        random_point_(std::move(random_point)),
        o_(std::move(options)) {
    if (!neighbours_) throw error("local_search: the neighbour function is empty");
    if (o_.num_restarts > 0 && !random_point_)
      throw error("local_search: num_restarts > 0 needs a random-point function");
  }
  explicit local_search(const lattice& grid, local_search_options options = {})
      : local_search([grid](const torch::Tensor& x) { return grid.neighbours(x); },
                     [grid](std::mt19937_64& rng) { return grid.random_point(rng); },
                     std::move(options)) {}

  /// The same search that also never returns the rows of `more` [j, d].
  [[nodiscard]] local_search avoiding(const torch::Tensor& more) const {
    auto copy = *this;
    copy.o_.avoid = detail::append_rows(o_.avoid, more);
    return copy;
  }

  template <class A>
  [[nodiscard]] torch::Tensor operator()(const A& acq) const {
    static_assert(detail::check_acquisition<A>());
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> starts;
    if (o_.starts.defined())
      for (std::int64_t i = 0; i < o_.starts.size(0); ++i)
        starts.push_back(o_.starts[i].to(torch::kFloat64));
    std::mt19937_64 rng(o_.seed);
    for (std::int64_t i = 0; i < o_.num_restarts; ++i) starts.push_back(random_point_(rng));
    if (starts.empty()) throw error("local_search: no starts (give starts or num_restarts > 0)");
    constexpr double ninf = -std::numeric_limits<double>::infinity();
    double best_value = ninf;
    torch::Tensor best;
    for (auto x : starts) {
      double value = ninf;
      if (!detail::is_row_of(x, o_.avoid)) {
        const torch::Tensor v0 = score(acq, x.unsqueeze(0));
        value = v0[0].item<double>();
      }
      for (std::int64_t it = 0; it < o_.max_iter; ++it) {
        std::vector<torch::Tensor> nb;
        for (auto& y : neighbours_(x))
          if (!detail::is_row_of(y, o_.avoid)) nb.push_back(y.to(torch::kFloat64));
        if (nb.empty()) break;
        const torch::Tensor values = score(acq, torch::stack(nb));
        const auto j = values.argmax().item<std::int64_t>();
        const double v = values[j].item<double>();
        if (!(v > value + o_.tolerance)) break;
        x = nb[static_cast<std::size_t>(j)];
        value = v;
      }
      if (value > best_value) {
        best_value = value;
        best = x;
      }
    }
    if (!best.defined())
      throw error("local_search: every start and all its neighbours are in `avoid` or have a "
                  "-inf/NaN acquisition value; add random restarts or check the acquisition");
    return best.unsqueeze(0);
  }

 private:
  template <class A>
  static torch::Tensor score(const A& acq, const torch::Tensor& points) {  // [k, d] -> [k]
    auto v = acq(points.unsqueeze(1)).detach().to(torch::kFloat64);
    return torch::nan_to_num(v, -std::numeric_limits<double>::infinity());
  }

  neighbour_fn neighbours_;
  random_point_fn random_point_;
  local_search_options o_;
};

}  // namespace autopeft::mobo
