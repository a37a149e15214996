#include <autopeft/mobo/pareto.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <set>
#include <vector>

using namespace autopeft;
using autopeft::mobo::hypervolume;

namespace {

using points = std::vector<std::vector<double>>;

torch::Tensor to_tensor(const points& p, std::size_t m) {
  auto t = torch::empty({static_cast<int64_t>(p.size()), static_cast<int64_t>(m)}, torch::kFloat64);
  for (std::size_t i = 0; i < p.size(); ++i) {
    for (std::size_t j = 0; j < m; ++j) t[i][j] = p[i][j];
  }
  return t;
}

bool weakly_dominates(const std::vector<double>& a, const std::vector<double>& b) {
  for (std::size_t j = 0; j < a.size(); ++j) {
    if (a[j] < b[j]) return false;
  }
  return true;
}

// A random set with a non-dominated core (points on the positive unit sphere), dominated
// points, points outside the reference box and, when `grid` > 0, coordinates rounded to a grid
// so that ties and exact duplicates are common.
points random_set(std::mt19937& rng, std::size_t n, std::size_t m, double grid) {
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  points p;
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<double> y(m);
    double norm = 0.0;
    for (auto& v : y) {
      v = std::abs(normal(rng)) + 1e-3;
      norm += v * v;
    }
    const double kind = unit(rng);
    const double scale = kind < 0.6 ? 1.0 : 0.3 + 0.7 * unit(rng);  // front or dominated
    for (auto& v : y) v = v / std::sqrt(norm) * scale;
    if (kind > 0.92) y[rng() % m] = -0.2 * unit(rng);  // not better than the reference
    if (grid > 0) {
      for (auto& v : y) v = std::round(v / grid) * grid;
    }
    p.push_back(y);
    if (grid > 0 && i % 5 == 4) p.push_back(p[rng() % p.size()]);  // exact duplicate
  }
  std::shuffle(p.begin(), p.end(), rng);
  return p;
}

// Exact hypervolume by counting the cells of the grid spanned by the coordinates.
double grid_hypervolume(const points& p, const std::vector<double>& ref) {
  const std::size_t m = ref.size();
  std::vector<std::vector<double>> axes(m);
  for (std::size_t j = 0; j < m; ++j) {
    std::set<double> v{ref[j]};
    for (const auto& y : p) {
      if (y[j] > ref[j]) v.insert(y[j]);
    }
    axes[j].assign(v.begin(), v.end());
  }
  for (const auto& a : axes) {
    if (a.size() < 2) return 0.0;
  }
  std::vector<std::size_t> idx(m, 0);
  std::vector<double> upper(m);
  double total = 0.0;
  while (true) {
    double vol = 1.0;
    for (std::size_t j = 0; j < m; ++j) {
      upper[j] = axes[j][idx[j] + 1];
      vol *= axes[j][idx[j] + 1] - axes[j][idx[j]];
    }
    for (const auto& y : p) {
      if (weakly_dominates(y, upper)) {
        total += vol;
        break;
      }
    }
    std::size_t j = 0;
    for (; j < m; ++j) {
      if (++idx[j] + 1 < axes[j].size()) break;
      idx[j] = 0;
    }
    if (j == m) break;
  }
  return total;
}

double intersection_volume(const double* l1, const double* u1, const double* l2, const double* u2,
                           std::size_t m) {
  double vol = 1.0;
  for (std::size_t j = 0; j < m; ++j) {
    const double w = std::min(u1[j], u2[j]) - std::max(l1[j], l2[j]);
    if (!(w > 0)) return 0.0;
    vol *= w;
  }
  return vol;
}

double volume_below(const torch::Tensor& cells, const std::vector<double>& ref,
                    const std::vector<double>& top) {
  auto c = cells.contiguous();
  const auto n = c.size(1);
  const std::size_t m = ref.size();
  const double* lo = c.data_ptr<double>();
  const double* hi = lo + n * m;
  double total = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    total += intersection_volume(lo + i * m, hi + i * m, ref.data(), top.data(), m);
  }
  return total;
}

bool in_some_cell(const torch::Tensor& cells, const std::vector<double>& y) {
  const auto n = cells.size(1);
  const std::size_t m = y.size();
  const double* lo = cells.data_ptr<double>();
  const double* hi = lo + n * m;
  for (int64_t i = 0; i < n; ++i) {
    bool in = true;
    for (std::size_t j = 0; j < m && in; ++j) in = lo[i * m + j] <= y[j] && y[j] < hi[i * m + j];
    if (in) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("is_non_dominated equals the O(n^2) definition, keeping the first duplicate",
          "[mobo][pareto]") {
  std::mt19937 rng(7);
  for (std::size_t m : {1, 2, 3, 4, 5}) {
    for (double grid : {0.0, 0.25}) {
      const auto p = random_set(rng, 60, m, grid);
      auto mask = mobo::is_non_dominated(to_tensor(p, m).to(torch::kFloat32));
      REQUIRE(mask.dtype() == torch::kBool);
      REQUIRE(mask.size(0) == static_cast<int64_t>(p.size()));
      auto ranks = mobo::non_dominated_sort(to_tensor(p, m));
      for (std::size_t i = 0; i < p.size(); ++i) {
        bool expected = true, strictly = false;
        for (std::size_t k = 0; k < p.size(); ++k) {
          if (k == i || !weakly_dominates(p[k], p[i])) continue;
          if (p[k] != p[i]) strictly = true;
          if (p[k] != p[i] || k < i) expected = false;
        }
        INFO("m = " << m << ", grid = " << grid << ", i = " << i);
        CHECK(mask[i].item<bool>() == expected);
        CHECK((ranks[i].item<int64_t>() == 0) == !strictly);
      }
    }
  }
}

TEST_CASE("non_dominated_sort ranks are consistent fronts", "[mobo][pareto]") {
  std::mt19937 rng(11);
  const auto p = random_set(rng, 80, 3, 0.2);
  auto ranks = mobo::non_dominated_sort(to_tensor(p, 3));
  for (std::size_t i = 0; i < p.size(); ++i) {
    const auto ri = ranks[i].item<int64_t>();
    int64_t best_dominator = -1;
    for (std::size_t k = 0; k < p.size(); ++k) {
      if (weakly_dominates(p[k], p[i]) && p[k] != p[i]) {
        CHECK(ranks[k].item<int64_t>() < ri);
        best_dominator = std::max(best_dominator, ranks[k].item<int64_t>());
      }
    }
    CHECK(ri == best_dominator + 1);  // rank = 1 + the largest rank among its dominators
  }
}

TEST_CASE("is_non_dominated works over a batch and rejects bad shapes", "[mobo][pareto]") {
  auto Y = torch::tensor({{{1.0, 0.0}, {0.0, 1.0}, {0.5, 0.5}, {0.2, 0.2}},
                          {{1.0, 1.0}, {1.0, 1.0}, {0.0, 2.0}, {-1.0, 0.0}}});
  auto mask = mobo::is_non_dominated(Y);
  auto expected = torch::tensor({{true, true, true, false}, {true, false, true, false}});
  CHECK(torch::equal(mask, expected));
  CHECK_THROWS_AS(mobo::is_non_dominated(torch::zeros({3})), autopeft::error);
  // A failed evaluation (NaN) is never on the front, dominates nothing, and cannot be ranked.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto with_nan = torch::tensor({{nan, 5.0}, {1.0, 1.0}, {0.5, 2.0}, {0.4, 0.4}}, torch::kFloat64);
  CHECK(torch::equal(mobo::is_non_dominated(with_nan), torch::tensor({false, true, true, false})));
  CHECK(hypervolume(with_nan, torch::zeros({2})) == Approx(1.5));
  CHECK_THROWS_AS(mobo::non_dominated_sort(with_nan), autopeft::error);
  CHECK_THROWS_AS(mobo::hypervolume(torch::zeros({3, 2}), torch::zeros({3})), autopeft::error);
}

TEST_CASE("hypervolume of simple sets has its closed form", "[mobo][pareto]") {
  const std::vector<double> one{3.0, 2.0, 4.0, 0.5, 2.0, 1.5};
  for (std::size_t m = 1; m <= 6; ++m) {
    const std::vector<double> ref(m, -1.0);
    double product = 1.0;
    for (std::size_t j = 0; j < m; ++j) product *= one[j] + 1.0;
    CHECK(hypervolume(std::span<const double>(one.data(), m), m, ref) ==
          Approx(product).epsilon(1e-14));
    // Two points: inclusion-exclusion.
    std::vector<double> two(one.begin(), one.begin() + static_cast<std::ptrdiff_t>(m));
    for (std::size_t j = 0; j < m; ++j) two.push_back(j % 2 == 0 ? one[j] - 1.0 : one[j] + 1.0);
    double b = 1.0, both = 1.0;
    for (std::size_t j = 0; j < m; ++j) {
      b *= two[m + j] + 1.0;
      both *= std::min(two[j], two[m + j]) + 1.0;
    }
    CHECK(hypervolume(two, m, ref) == Approx(product + b - both).epsilon(1e-13));
  }
  CHECK(hypervolume(torch::tensor({{1.0, 2.0}, {2.0, 1.0}}), torch::zeros({2})) == Approx(3.0));
  CHECK(hypervolume(torch::zeros({0, 3}), torch::zeros({3})) == 0.0);
  // Points on the reference point's boundary contribute nothing.
  CHECK(hypervolume(torch::tensor({{0.0, 5.0, 5.0}, {2.0, 2.0, 2.0}}), torch::zeros({3})) ==
        Approx(8.0));
}

TEST_CASE("hypervolume equals the exact grid-counting oracle", "[mobo][pareto]") {
  std::mt19937 rng(2024);
  struct size_case {
    std::size_t m, n;
  };
  for (auto [m, n] :
       {size_case{2, 150}, size_case{3, 35}, size_case{4, 16}, size_case{5, 9}, size_case{6, 6}}) {
    for (int rep = 0; rep < 6; ++rep) {
      const double grid = rep % 2 == 0 ? 0.0 : 0.125;
      const auto p = random_set(rng, n, m, grid);
      const std::vector<double> ref(m, 0.0);
      const double oracle = grid_hypervolume(p, ref);
      auto Y = to_tensor(p, m);
      INFO("m = " << m << ", n = " << p.size() << ", grid = " << grid);
      CHECK(hypervolume(Y, torch::zeros({static_cast<int64_t>(m)})) ==
            Approx(oracle).epsilon(1e-12));
      // Order, duplicates and dominated points change nothing.
      auto shuffled = Y.index_select(0, torch::randperm(Y.size(0), torch::kLong));
      auto extra = torch::cat({shuffled, Y.slice(0, 0, 3), Y.slice(0, 0, 3) * 0.5});
      CHECK(hypervolume(extra, torch::zeros({static_cast<int64_t>(m)})) ==
            Approx(oracle).epsilon(1e-12));
      // Float input is converted to double.
      CHECK(hypervolume(Y.to(torch::kFloat32), torch::zeros({static_cast<int64_t>(m)})) ==
            Approx(oracle).epsilon(1e-5));
    }
  }
}

TEST_CASE("box decompositions partition the dominated and non-dominated regions exactly",
          "[mobo][pareto]") {
  std::mt19937 rng(99);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  struct size_case {
    std::size_t m, n;
  };
  for (auto [m, n] : {size_case{2, 40}, size_case{3, 30}, size_case{4, 14}}) {
    for (int rep = 0; rep < 4; ++rep) {
      const double grid = rep % 2 == 0 ? 0.0 : 0.1;
      const auto p = random_set(rng, n, m, grid);
      std::vector<double> ref(m, 0.0);
      const auto mi = static_cast<int64_t>(m);
      auto Y = to_tensor(p, m);
      auto r = torch::zeros({mi}, torch::kFloat64);
      auto nd = mobo::non_dominated_partitioning(Y, r);
      auto dom = mobo::dominated_partitioning(Y, r);
      REQUIRE(nd.dim() == 3);
      REQUIRE(nd.size(0) == 2);
      REQUIRE(nd.size(2) == mi);
      INFO("m = " << m << ", n = " << p.size() << ", grid = " << grid << ", cells " << nd.size(1)
                  << " / " << dom.size(1));
      const double hv = hypervolume(Y, r);
      // Sum of the dominated cells is the hypervolume; every cell is non-empty and above ref.
      const std::vector<double> far(m, 10.0);
      CHECK(volume_below(dom, ref, far) == Approx(hv).epsilon(1e-12));
      CHECK(torch::all(nd[0] < nd[1]).item<bool>());
      CHECK(torch::all(dom[0] < dom[1]).item<bool>());
      CHECK(torch::all(nd[0] >= r).item<bool>());
      // Pairwise disjoint, within and across the two decompositions.
      auto all = torch::cat({nd, dom}, 1).contiguous();
      const auto cells = all.size(1);
      const double* lo = all.data_ptr<double>();
      const double* hi = lo + cells * mi;
      double overlap = 0.0;
      for (int64_t a = 0; a < cells; ++a) {
        for (int64_t b = a + 1; b < cells; ++b) {
          overlap += intersection_volume(lo + a * mi, hi + a * mi, lo + b * mi, hi + b * mi, m);
        }
      }
      CHECK(overlap == 0.0);
      // Membership: off-grid test points (odd multiples of grid / 2 never lie on a boundary).
      for (int t = 0; t < 300; ++t) {
        std::vector<double> y(m);
        for (auto& v : y) {
          v = -0.1 + 1.2 * unit(rng);
          if (grid > 0) v = (std::floor(v / grid) + 0.5) * grid;
        }
        bool above = true, dominated = false;
        for (double v : y) above = above && v >= 0.0;
        for (const auto& q : p) dominated = dominated || weakly_dominates(q, y);
        CHECK(in_some_cell(nd, y) == (above && !dominated));
        CHECK(in_some_cell(dom, y) == (above && dominated));
      }
      // Hypervolume improvement of a new point through the cells.
      for (int t = 0; t < 20; ++t) {
        std::vector<double> x(m);
        for (auto& v : x) v = 0.2 + 1.0 * unit(rng);
        auto with = torch::cat({Y, to_tensor({x}, m)});
        CHECK(volume_below(nd, ref, x) ==
              Approx(hypervolume(with, r) - hv).epsilon(1e-10).margin(1e-12));
      }
    }
  }
}

TEST_CASE("2D decompositions are the staircase columns", "[mobo][pareto]") {
  auto Y = torch::tensor({{1.0, 3.0}, {2.0, 2.0}, {3.0, 1.0}, {1.5, 1.5}});
  auto nd = mobo::non_dominated_partitioning(Y, torch::zeros({2}));
  const double inf = std::numeric_limits<double>::infinity();
  auto expected = torch::tensor({{{0.0, 3.0}, {1.0, 2.0}, {2.0, 1.0}, {3.0, 0.0}},
                                 {{1.0, inf}, {2.0, inf}, {3.0, inf}, {inf, inf}}},
                                torch::kFloat32);
  CHECK(torch::equal(nd, expected));
  auto dom = mobo::dominated_partitioning(Y.to(torch::kFloat64), torch::zeros({2}));
  CHECK(dom.size(1) == 3);
  CHECK(dom.dtype() == torch::kFloat64);
  auto empty = mobo::non_dominated_partitioning(torch::tensor({{-1.0, 5.0}}), torch::zeros({2}));
  CHECK(empty.size(1) == 1);  // nothing beats the reference point: one cell [ref, inf)
  CHECK(mobo::dominated_partitioning(torch::tensor({{-1.0, 5.0}}), torch::zeros({2})).size(1) == 0);
}

TEST_CASE("batched decompositions equal the per-batch ones, padded with empty cells",
          "[mobo][pareto]") {
  std::mt19937 rng(5);
  std::vector<torch::Tensor> ys;
  for (int b = 0; b < 3; ++b)
    ys.push_back(to_tensor(random_set(rng, 12 + 4 * b, 3, 0.0), 3).slice(0, 0, 12));
  auto Y = torch::stack(ys);
  auto refs = torch::tensor({{0.0, 0.0, 0.0}, {0.1, 0.0, 0.0}, {0.0, 0.2, 0.1}}, torch::kFloat64);
  auto nd = mobo::non_dominated_partitioning(Y, refs);
  REQUIRE(nd.dim() == 4);
  for (int b = 0; b < 3; ++b) {
    auto single = mobo::non_dominated_partitioning(ys[b], refs[b]);
    const auto k = single.size(1);
    CHECK(torch::equal(nd.select(1, b).slice(1, 0, k), single));
    auto pad = nd.select(1, b).slice(1, k);
    CHECK(torch::equal(pad[0], pad[1]));
  }
}

TEST_CASE("5-objective decompositions: exact without alpha, within the budget with it",
          "[mobo][pareto]") {
  std::mt19937 rng(123);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const std::size_t m = 5;
  const auto p = random_set(rng, 14, m, 0.0);
  auto Y = to_tensor(p, m);
  const std::vector<double> ref(m, 0.0);
  auto r = torch::zeros({5}, torch::kFloat64);
  const double hv = hypervolume(Y, r);
  auto ideal = std::get<0>(Y.max(0));
  const double box = ideal.prod().item<double>();
  const std::vector<double> far(m, 10.0);

  auto dom_exact = mobo::dominated_partitioning(Y, r, 0.0);
  CHECK(volume_below(dom_exact, ref, far) == Approx(hv).epsilon(1e-12));
  auto nd_exact = mobo::non_dominated_partitioning(Y, r, 0.0);

  const double alpha = mobo::default_partitioning_alpha(m);
  REQUIRE(alpha > 0.0);
  auto dom = mobo::dominated_partitioning(Y, r);
  auto nd = mobo::non_dominated_partitioning(Y, r);
  INFO("cells: exact " << nd_exact.size(1) << " / " << dom_exact.size(1) << ", approximate "
                       << nd.size(1) << " / " << dom.size(1));
  CHECK(nd.size(1) < nd_exact.size(1));  // the approximation did drop something
  CHECK(dom.size(1) < dom_exact.size(1));
  const double dom_sum = volume_below(dom, ref, far);
  CHECK(dom_sum <= hv * (1 + 1e-12));
  CHECK(dom_sum >= hv - alpha * box - 1e-12);
  for (int t = 0; t < 30; ++t) {
    std::vector<double> x(m);
    for (auto& v : x) v = 0.3 + 0.9 * unit(rng);
    const double hvi = hypervolume(torch::cat({Y, to_tensor({x}, m)}), r) - hv;
    CHECK(volume_below(nd_exact, ref, x) == Approx(hvi).epsilon(1e-10).margin(1e-12));
    const double approx = volume_below(nd, ref, x);
    CHECK(approx <= hvi + 1e-12);
    CHECK(approx >= hvi - alpha * box - 1e-12);
  }
  for (int t = 0; t < 200; ++t) {  // never covers a dominated point
    std::vector<double> y(m);
    for (auto& v : y) v = unit(rng);
    bool dominated = false;
    for (const auto& q : p) dominated = dominated || weakly_dominates(q, y);
    if (dominated) CHECK_FALSE(in_some_cell(nd, y));
    if (!dominated) CHECK_FALSE(in_some_cell(dom, y));
  }
}
