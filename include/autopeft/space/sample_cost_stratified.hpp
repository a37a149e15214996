#pragma once
// A cost-stratified initial design: n valid configurations that spread over the range of
// log cost, one per stratum, rather than over the grid of levels.
//
// Why. In AutoPEFT's space the cost (stored parameters, ~ layers_on · (sa + pa + pt)) is a
// product of levels, so a uniform or Sobol design piles up in the dear middle: with 12 layer
// switches half the layers are on, and at least one of three sizes is large; cheap
// configurations (one layer, size 1) almost never appear, yet the Pareto front starts there.
// This design follows stratified (Latin-hypercube-style) sampling on a derived variable
// (McKay, Beckman & Conover, 1979, "A Comparison of Three Methods for Selecting Values of Input
// Variables"), with the known closed-form cost as that variable, as cost-aware BO designs do
// (Lee, Eriksson, Bindel & Wilson, 2020, "Cost-aware Bayesian optimization", which spreads
// the initial points over cost).
//
// Method. The log-cost range [lo, hi] of the space is found by greedy descent and ascent over
// one-dimension neighbours from the cheapest and the dearest of a scrambled Sobol pool (exact
// for costs monotone in each dimension, as PEFT sizes and layer switches are). [lo, hi] is cut
// into n strata of equal width, visited in van der Corput order (so any prefix of the design,
// e.g. the first batch, already spans the range). Stratum j takes the first unused Sobol point
// whose log cost falls in it; when the pool has none, the pool point nearest in log cost walks
// over neighbours towards the stratum's centre until it lands inside. Deterministic in `seed`;
// points are distinct and valid, and `feasible` (when given) holds for each.
//
// Example:
//   auto design = space::sample_cost_stratified<S>(16, /*seed=*/0,
//       [&](const space::configuration& c) { return evaluator.cost(c); });
#include <autopeft/error.hpp>
#include <autopeft/space/configuration.hpp>
#include <autopeft/space/search_space.hpp>
#include <autopeft/space/sobol.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <set>
#include <vector>

namespace autopeft::space {

namespace detail {
/// The strata 0..n-1 in van der Corput order: stratum floor(n · r(k)) for k = 0, 1, ..., where
/// r is the base-2 radical inverse (0, 1/2, 1/4, 3/4, ...), each once; strata it misses (n not
/// a power of two) follow in ascending order.
inline std::vector<std::size_t> van_der_corput_order(std::size_t n) {
  std::vector<bool> taken(n, false);
  std::vector<std::size_t> out;
  for (std::size_t k = 0; k < n; ++k) {
    double r = 0, f = 0.5;
    for (std::size_t bits = k; bits > 0; bits >>= 1, f /= 2) r += f * static_cast<double>(bits & 1);
    const auto s = std::min(n - 1, static_cast<std::size_t>(r * static_cast<double>(n)));
    if (!taken[s]) taken[s] = true, out.push_back(s);
  }
  for (std::size_t s = 0; s < n; ++s)
    if (!taken[s]) out.push_back(s);
  return out;
}
}  // namespace detail

template <class Space>
std::vector<configuration> sample_cost_stratified(std::size_t n, std::uint64_t seed,
                                                  const std::function<double(const configuration&)>& cost,
                                                  const std::function<bool(const configuration&)>& feasible = {}) {
  if (!cost) throw error("sample_cost_stratified: no cost function given");
  if (n == 0) return {};
  auto ok = [&](const configuration& c) { return Space::valid(c) && (!feasible || feasible(c)); };
  auto log_cost = [&](const configuration& c) {
    const double v = cost(c);
    if (!std::isfinite(v) || v < 0)
      throw error("sample_cost_stratified: the cost function returned " + std::to_string(v) + "; it must be finite and >= 0");
    return std::log(std::max(v, 1e-300));
  };

  // The pool: valid, feasible, distinct Sobol points with their log cost.
  const sobol seq(Space::num_components, seed);
  const std::size_t pool_size = 32 * n + 64;
  std::vector<configuration> pool;
  std::vector<double> pool_cost;
  std::set<std::uint64_t> in_pool;
  for (std::uint64_t i = 0; pool.size() < pool_size && i < 1000 * pool_size; ++i) {
    auto c = Space::canonical(Space::from_unit(seq.point(i)));
    if (ok(c) && in_pool.insert(Space::hash(c)).second) {
      pool_cost.push_back(log_cost(c));
      pool.push_back(std::move(c));
    }
  }
  if (pool.empty()) throw error("sample_cost_stratified: no valid configuration in the Sobol pool; are the constraints satisfiable?");

  // Greedy walk over neighbours towards `target` (log cost); stops inside [a, b] or when no
  // neighbour gets closer.
  // A target of -inf or +inf walks to the cheapest or the dearest reachable point.
  auto walk = [&](configuration c, double lc, double target, double a, double b) {
    auto distance = [&](double l) { return std::isinf(target) ? (target < 0 ? l : -l) : std::abs(l - target); };
    for (int steps = 0; steps < 10000 && !(lc >= a && lc <= b); ++steps) {
      double best = distance(lc);
      std::optional<std::pair<configuration, double>> next;
      for (auto& m : Space::neighbours(c)) {
        if (!ok(m)) continue;
        const double lm = log_cost(m);
        if (distance(lm) < best) best = distance(lm), next.emplace(std::move(m), lm);
      }
      if (!next) break;
      c = std::move(next->first);
      lc = next->second;
    }
    return std::pair{c, lc};
  };
  const auto [min_it, max_it] = std::minmax_element(pool_cost.begin(), pool_cost.end());
  const double inf = std::numeric_limits<double>::infinity();
  const double lo = walk(pool[static_cast<std::size_t>(min_it - pool_cost.begin())], *min_it, -inf, -inf, -inf).second;
  const double hi = walk(pool[static_cast<std::size_t>(max_it - pool_cost.begin())], *max_it, inf, inf, inf).second;
  const double width = (hi - lo) / static_cast<double>(n);

  std::vector<configuration> out;
  std::set<std::uint64_t> taken;
  std::vector<bool> used(pool.size(), false);
  for (const auto j : detail::van_der_corput_order(n)) {
    const double a = lo + width * static_cast<double>(j), b = j + 1 == n ? hi : lo + width * static_cast<double>(j + 1);
    const double centre = (a + b) / 2;
    bool placed = false;
    for (std::size_t i = 0; i < pool.size() && !placed; ++i)
      if (!used[i] && pool_cost[i] >= a && pool_cost[i] <= b && !taken.contains(Space::hash(pool[i]))) {
        used[i] = true;
        taken.insert(Space::hash(pool[i]));
        out.push_back(pool[i]);
        placed = true;
      }
    if (placed) continue;
    // No pool point in the stratum: walk from the nearest ones until one lands in it.
    std::vector<std::size_t> nearest(pool.size());
    for (std::size_t i = 0; i < pool.size(); ++i) nearest[i] = i;
    std::stable_sort(nearest.begin(), nearest.end(), [&](std::size_t x, std::size_t y) {
      return std::abs(pool_cost[x] - centre) < std::abs(pool_cost[y] - centre);
    });
    for (std::size_t k = 0; k < nearest.size() && k < 16 && !placed; ++k) {
      auto [c, lc] = walk(pool[nearest[k]], pool_cost[nearest[k]], centre, a, b);
      if (lc >= a && lc <= b && taken.insert(Space::hash(c)).second) {
        out.push_back(std::move(c));
        placed = true;
      }
    }
    if (!placed) {
      // A stratum no configuration reaches (costs with gaps): take the nearest unused pool point.
      for (auto i : nearest)
        if (!used[i] && taken.insert(Space::hash(pool[i])).second) {
          used[i] = true;
          out.push_back(pool[i]);
          break;
        }
    }
  }
  return out;
}

}  // namespace autopeft::space
