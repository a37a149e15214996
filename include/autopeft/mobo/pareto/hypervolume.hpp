#pragma once
// Exact hypervolume indicator of a point set, MAXIMISATION convention.
#include <autopeft/error.hpp>
#include <autopeft/mobo/pareto/detail/staircase.hpp>
#include <autopeft/mobo/pareto/non_dominated.hpp>

#include <torch/torch.h>

#include <algorithm>
#include <cstddef>
#include <numeric>
#include <span>
#include <string>
#include <vector>

namespace autopeft::mobo {

namespace detail {

// All functions below take n points of dimension d, row-major, already translated so that the
// reference point is the origin and every coordinate is > 0: the hypervolume is the volume of
// the union of the boxes [0, a_i].

inline std::vector<std::size_t> order_by(const double* a, std::size_t n, std::size_t d,
                                         std::size_t coord, bool descending) {
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t i, std::size_t j) {
    return descending ? a[i * d + coord] > a[j * d + coord] : a[i * d + coord] < a[j * d + coord];
  });
  return order;
}

inline double hv1(const double* a, std::size_t n) {
  double best = 0.0;
  for (std::size_t i = 0; i < n; ++i) best = std::max(best, a[i]);
  return best;
}

// Sweep along x from the right, keeping the best y seen: O(n log n).
inline double hv2(const double* a, std::size_t n) {
  auto order = order_by(a, n, 2, 0, true);
  double area = 0.0, height = 0.0;
  for (std::size_t t = 0; t < n; ++t) {
    const double* p = a + order[t] * 2;
    height = std::max(height, p[1]);
    const double next_x = t + 1 < n ? a[order[t + 1] * 2] : 0.0;
    area += (p[0] - next_x) * height;
  }
  return area;
}

// Points given in descending order of z: sweep down in z, keeping the 2D staircase of the points
// above the sweep plane and its area up to date: O(n log n) (HV3D, Beume et al. 2009, in the
// tree form that HV3D+ refines).
inline double hv3_sorted(const double* a, std::size_t n) {
  staircase s;
  double area = 0.0, volume = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double* p = a + i * 3;
    staircase_insert(s, p[0], p[1], 0.0, 0.0, [&](double x0, double x1, double y0, double y1) {
      area += (x1 - x0) * (y1 - y0);
    });
    const double next_z = i + 1 < n ? a[(i + 1) * 3 + 2] : 0.0;
    volume += area * (p[2] - next_z);
  }
  return volume;
}

inline double hv3(const double* a, std::size_t n) {
  auto order = order_by(a, n, 3, 2, true);
  std::vector<double> sorted(n * 3);
  for (std::size_t t = 0; t < n; ++t) std::copy_n(a + order[t] * 3, 3, sorted.data() + t * 3);
  return hv3_sorted(sorted.data(), n);
}

// Sweep down in the 4th coordinate; the 3D volume of the points above the sweep grows by each
// point's exclusive contribution, computed by a 3D sweep over the earlier points limited to its
// box. Limiting (min with the new point) keeps the global z order, so nothing is re-sorted:
// O(n^2 log n) (the scheme of HV4D, Guerreiro & Fonseca 2018, without its O(n^2) list tricks).
inline double hv4(const double* a, std::size_t n) {
  auto by_w = order_by(a, n, 4, 3, true);
  auto by_z = order_by(a, n, 4, 2, true);
  std::vector<std::size_t> rank(n);
  for (std::size_t t = 0; t < n; ++t) rank[by_w[t]] = t;
  std::vector<double> limited;
  limited.reserve(n * 3);
  double v3 = 0.0, volume = 0.0;
  for (std::size_t t = 0; t < n; ++t) {
    const double* p = a + by_w[t] * 4;
    limited.clear();
    bool covered = false;
    for (std::size_t q : by_z) {
      if (rank[q] >= t) continue;
      const double* b = a + q * 4;
      if (b[0] >= p[0] && b[1] >= p[1] && b[2] >= p[2]) {
        covered = true;
        break;
      }
      limited.insert(limited.end(),
                     {std::min(b[0], p[0]), std::min(b[1], p[1]), std::min(b[2], p[2])});
    }
    if (!covered) v3 += p[0] * p[1] * p[2] - hv3_sorted(limited.data(), limited.size() / 3);
    const double next_w = t + 1 < n ? a[by_w[t + 1] * 4 + 3] : 0.0;
    volume += v3 * (p[3] - next_w);
  }
  return volume;
}

inline double hv_any(std::vector<double>& a, std::size_t d);

// WFG (While, Bradstreet & Barone 2012) for d >= 5 on a non-dominated set. Sorted ascending in
// the last coordinate, every later point covers a point's whole extent in that coordinate, so
// HV = sum_k a_k[d-1] * (prod_{j<d-1} a_k[j] - HV_{d-1}(nds{min(a_k, a_q)[0..d-1) : q > k})):
// bounding (limiting to a_k's box) then exclusion, recursing one dimension lower.
inline double wfg(std::vector<double>& a, std::size_t d) {
  const std::size_t n = a.size() / d, e = d - 1;
  auto order = order_by(a.data(), n, d, e, false);
  std::vector<double> sorted(a.size());
  for (std::size_t t = 0; t < n; ++t) {
    std::copy_n(a.data() + order[t] * d, d, sorted.data() + t * d);
  }
  double volume = 0.0;
  std::vector<double> limited;
  for (std::size_t k = 0; k < n; ++k) {
    const double* p = sorted.data() + k * d;
    double box = 1.0;
    for (std::size_t j = 0; j < e; ++j) box *= p[j];
    limited.clear();
    bool covered = false;
    for (std::size_t q = k + 1; q < n && !covered; ++q) {
      const double* b = sorted.data() + q * d;
      covered = true;
      for (std::size_t j = 0; j < e; ++j) {
        limited.push_back(std::min(p[j], b[j]));
        covered = covered && b[j] >= p[j];
      }
    }
    if (covered) continue;
    keep_non_dominated(limited, e);
    volume += p[e] * (box - hv_any(limited, e));
  }
  return volume;
}

inline double hv_any(std::vector<double>& a, std::size_t d) {
  const std::size_t n = a.size() / d;
  if (n == 0) return 0.0;
  switch (d) {
    case 1:
      return hv1(a.data(), n);
    case 2:
      return hv2(a.data(), n);
    case 3:
      return hv3(a.data(), n);
    case 4:
      return hv4(a.data(), n);
    default:
      return wfg(a, d);
  }
}

}  // namespace detail

/// Hypervolume indicator (maximisation): the Lebesgue measure of the region dominated by the
/// points and bounded below by the reference point r,
///
///     HV(Y; r) = vol( U_i [r, y_i] ),  over the y_i with y_i > r in every objective;
///
/// points not strictly better than r in all objectives contribute nothing (NaN never is).
/// Dominated points and duplicates are allowed and change nothing; neither does the order.
///
/// Algorithms (n points, m objectives), all exact:
///   m = 1: max;  m = 2: sort and sweep, O(n log n);
///   m = 3: sweep in the 3rd objective over a balanced tree of the 2D staircase, O(n log n)
///          (HV3D: Beume, Fonseca, Lopez-Ibanez, Paquete & Vahrenhold, IEEE TEVC 2009; the
///          dimension-sweep of HV3D+, Guerreiro & Fonseca, IEEE TEVC 2018);
///   m = 4: sweep in the 4th objective adding 3D exclusive contributions, O(n^2 log n)
///          (the scheme of HV4D+, Guerreiro & Fonseca 2018);
///   m >= 5: WFG, bounding and exclusion with slicing in the last objective (While, Bradstreet
///          & Barone, "A fast way of calculating exact hypervolumes", IEEE TEVC 2012),
///          exponential in m in the worst case.
/// Arithmetic is in double on the CPU.
///
/// Example:
///   auto hv = autopeft::mobo::hypervolume(torch::tensor({{1.0, 2.0}, {2.0, 1.0}}),
///                                         torch::zeros({2}, torch::kDouble));  // 3.0
struct hypervolume_fn {
  /// `points`: n x m, row-major; `ref`: m values.
  double operator()(std::span<const double> points, std::size_t m,
                    std::span<const double> ref) const {
    if (m == 0 || points.size() % m != 0 || ref.size() != m) {
      throw error(
          "autopeft::mobo::hypervolume: expected n*m point values and m reference values, got " +
          std::to_string(points.size()) + " values, m = " + std::to_string(m) + " and " +
          std::to_string(ref.size()) + " reference values");
    }
    const std::size_t n = points.size() / m;
    std::vector<double> a;
    a.reserve(points.size());
    for (std::size_t i = 0; i < n; ++i) {
      const double* y = points.data() + i * m;
      bool better = true;
      for (std::size_t j = 0; j < m && better; ++j) better = y[j] > ref[j];
      if (!better) continue;
      for (std::size_t j = 0; j < m; ++j) a.push_back(y[j] - ref[j]);
    }
    if (m >= 5) detail::keep_non_dominated(a, m);  // WFG's recursion assumes a non-dominated set
    return detail::hv_any(a, m);
  }

  /// `Y`: [n, m], any floating dtype and device; `ref`: [m].
  double operator()(const torch::Tensor& Y, const torch::Tensor& ref) const {
    auto y = detail::as_points(Y, "hypervolume");
    if (y.dim() != 2 || !ref.defined() || ref.numel() != y.size(1)) {
      throw error("autopeft::mobo::hypervolume: Y must be [n, m] and ref [m], got Y " +
                  c10::str(Y.sizes()) + " and ref " +
                  (ref.defined() ? c10::str(ref.sizes()) : std::string("undefined")));
    }
    auto r = ref.detach().to(torch::kCPU, torch::kFloat64).contiguous();
    const auto m = static_cast<std::size_t>(y.size(1));
    return (*this)(
        std::span<const double>(y.data_ptr<double>(), static_cast<std::size_t>(y.numel())), m,
        std::span<const double>(r.data_ptr<double>(), m));
  }
};

inline constexpr hypervolume_fn hypervolume{};

}  // namespace autopeft::mobo
