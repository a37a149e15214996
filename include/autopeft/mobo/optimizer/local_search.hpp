#pragma once
// Discrete / mixed local search over one-dimension neighbours (AutoPEFT's acquisition
// optimiser, after BoTorch's optimize_acqf_discrete_local_search), MAXIMISATION:
//   from every start x (the given starts, e.g. the inputs of the current Pareto set, plus
//   num_restarts random points): evaluate the acquisition on all neighbours of x, move to the
//   best one if it beats x by more than `tolerance`, stop at a local optimum (or after max_iter
//   moves); return the best end point over all starts, [1, d]. The walks run in lock step: one
//   acquisition call [k, 1, d] per round scores the neighbours of every walk still climbing
//   (in chunks of batch_limit).
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

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace autopeft::mobo {

struct local_search_options {
  torch::Tensor starts = {};          // [k, d]
  std::int64_t num_restarts = 10;  // random starts in addition
  torch::Tensor avoid = {};           // [a, d]
  std::int64_t max_iter = 100;   // moves per start
  double tolerance = 0.0;
  std::int64_t batch_limit = 64;   // candidates per acquisition call
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
    for (std::int64_t i = 0; i < o_.num_restarts; ++i)
      starts.push_back(random_point_(rng).to(torch::kFloat64));
    if (starts.empty()) throw error("local_search: no starts (give starts or num_restarts > 0)");
    constexpr double ninf = -std::numeric_limits<double>::infinity();
    // All walks advance together: each round scores the neighbours of every walker still
    // climbing in one batch, so the acquisition is called once per round, not once per step of
    // each walk. Each walk takes the same path as it would alone.
    std::vector<torch::Tensor> x = starts;
    std::vector<double> value(starts.size(), ninf);
    std::vector<bool> active(starts.size(), true);
    {
      const auto all = torch::stack(starts);
      const auto avoided = detail::rows_in(all, o_.avoid);
      const auto v = score(acq, all);
      for (std::size_t i = 0; i < starts.size(); ++i)
        if (!avoided[static_cast<std::int64_t>(i)].template item<bool>())
          value[i] = v[static_cast<std::int64_t>(i)].template item<double>();
    }
    std::unordered_map<std::string, double> seen;
    for (std::int64_t it = 0; it < o_.max_iter; ++it) {
      std::vector<torch::Tensor> candidates;
      std::vector<std::size_t> owner;
      for (std::size_t i = 0; i < x.size(); ++i) {
        if (!active[i]) continue;
        for (auto& y : neighbours_(x[i])) {
          candidates.push_back(y.to(torch::kFloat64));
          owner.push_back(i);
        }
      }
      if (candidates.empty()) break;
      const auto all = torch::stack(candidates).contiguous();
      const auto avoided = detail::rows_in(all, o_.avoid).contiguous();
      // Walks meet: a point already scored in this search is looked up, not scored again.
      std::vector<double> v(candidates.size(), ninf);
      std::vector<std::int64_t> fresh;
      std::vector<std::string> keys(candidates.size());
      const auto* rows = all.template data_ptr<double>();
      const auto* skip = avoided.template data_ptr<bool>();
      const auto d = all.size(1);
      for (std::size_t k = 0; k < candidates.size(); ++k) {
        if (skip[k]) continue;
        keys[k].assign(reinterpret_cast<const char*>(rows + static_cast<std::int64_t>(k) * d),
                       static_cast<std::size_t>(d) * sizeof(double));
        if (auto it = seen.find(keys[k]); it != seen.end()) {
          v[k] = it->second;
        } else if (auto [pos, added] = seen.emplace(keys[k], ninf); added) {
          fresh.push_back(static_cast<std::int64_t>(k));
        }
      }
      if (!fresh.empty()) {
        const auto scored = score(acq, all.index_select(0, torch::tensor(fresh))).contiguous();
        const auto* sv = scored.template data_ptr<double>();
        for (std::size_t f = 0; f < fresh.size(); ++f) {
          const auto k = static_cast<std::size_t>(fresh[f]);
          v[k] = seen[keys[k]] = sv[f];
        }
        // Duplicates within this round were left at -inf above: fill them in.
        for (std::size_t k = 0; k < candidates.size(); ++k)
          if (!skip[k] && v[k] == ninf) v[k] = seen[keys[k]];
      }
      std::vector<double> best(x.size(), ninf);
      std::vector<std::int64_t> arg(x.size(), -1);
      for (std::size_t k = 0; k < owner.size(); ++k)
        if (v[k] > best[owner[k]] || arg[owner[k]] < 0) {
          best[owner[k]] = v[k];
          arg[owner[k]] = static_cast<std::int64_t>(k);
        }
      bool any = false;
      for (std::size_t i = 0; i < x.size(); ++i) {
        if (!active[i]) continue;
        if (arg[i] >= 0 && best[i] > value[i] + o_.tolerance) {
          x[i] = candidates[static_cast<std::size_t>(arg[i])];
          value[i] = best[i];
          any = true;
        } else {
          active[i] = false;
        }
      }
      if (!any) break;
    }
    double best_value = ninf;
    torch::Tensor best;
    for (std::size_t i = 0; i < x.size(); ++i)
      if (value[i] > best_value) {
        best_value = value[i];
        best = x[i];
      }
    if (!best.defined())
      throw error("local_search: every start and all its neighbours are in `avoid` or have a "
                  "-inf/NaN acquisition value; add random restarts or check the acquisition");
    return best.unsqueeze(0);
  }

 private:
  // [k, d] -> [k], in chunks of batch_limit candidates (memory grows with S b C m).
  template <class A>
  torch::Tensor score(const A& acq, const torch::Tensor& points) const {
    std::vector<torch::Tensor> parts;
    const auto limit = std::max<std::int64_t>(1, o_.batch_limit);
    for (std::int64_t i = 0; i < points.size(0); i += limit) {
      const auto chunk = points.narrow(0, i, std::min(limit, points.size(0) - i));
      parts.push_back(acq(chunk.unsqueeze(1)).detach().to(torch::kFloat64));
    }
    return torch::nan_to_num(torch::cat(parts), -std::numeric_limits<double>::infinity());
  }

  neighbour_fn neighbours_;
  random_point_fn random_point_;
  local_search_options o_;
};

}  // namespace autopeft::mobo
