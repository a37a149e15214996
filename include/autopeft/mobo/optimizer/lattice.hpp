#pragma once
// A lattice search space: allowed values per dimension, e.g. AutoPEFT's normalised ordinal
// sizes and binary layer switches. Gives the one-dimension neighbours and random points that
// local_search uses.
//   neighbours(x): every point that differs from x in one dimension, moved to the adjacent
//   allowed value (adjacent_only, for ordinal dims) or to any other allowed value;
//   x's coordinates are matched to the nearest allowed value.
//
// Example:
//   lattice grid({{0.0, 0.5, 1.0}, {0.0, 1.0}});
//   auto nb = grid.neighbours(torch::tensor({0.5, 0.0}, torch::kFloat64));   // 3 points
#include <autopeft/error.hpp>

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace autopeft::mobo {

class lattice {
 public:
  explicit lattice(std::vector<std::vector<double>> values, bool adjacent_only = true)
      : values_(std::move(values)), adjacent_only_(adjacent_only) {
    for (std::size_t j = 0; j < values_.size(); ++j) {
      if (values_[j].empty())
        throw error("lattice: dimension " + std::to_string(j) + " has no allowed value");
      std::sort(values_[j].begin(), values_[j].end());
    }
  }

  [[nodiscard]] std::int64_t dim() const { return static_cast<std::int64_t>(values_.size()); }
  [[nodiscard]] const std::vector<std::vector<double>>& values() const { return values_; }

  /// x [d] -> the one-dimension neighbours, each [d].
  [[nodiscard]] std::vector<torch::Tensor> neighbours(const torch::Tensor& x) const {
    const auto xc = x.detach().to(torch::kFloat64).contiguous();
    std::vector<torch::Tensor> out;
    for (std::size_t j = 0; j < values_.size(); ++j) {
      const auto& v = values_[j];
      const auto at = nearest(j, xc[static_cast<std::int64_t>(j)].item<double>());
      for (std::size_t k = 0; k < v.size(); ++k) {
        const bool adjacent = k + 1 == at || at + 1 == k;
        if (k == at || (adjacent_only_ && !adjacent)) continue;
        auto y = xc.clone();
        y[static_cast<std::int64_t>(j)] = v[k];
        out.push_back(y);
      }
    }
    return out;
  }

  /// A uniformly random lattice point [d].
  [[nodiscard]] torch::Tensor random_point(std::mt19937_64& rng) const {
    std::vector<double> x;
    for (const auto& v : values_)
      x.push_back(v[std::uniform_int_distribution<std::size_t>(0, v.size() - 1)(rng)]);
    return torch::tensor(x, torch::kFloat64);
  }

  /// All lattice points [prod_j |values_j|, d] (for exhaustive_search on small lattices).
  [[nodiscard]] torch::Tensor enumerate() const {
    std::vector<torch::Tensor> axes;
    for (const auto& v : values_) axes.push_back(torch::tensor(v, torch::kFloat64));
    const auto grids = torch::meshgrid(axes, "ij");
    std::vector<torch::Tensor> flat;
    for (const auto& g : grids) flat.push_back(g.flatten());
    return torch::stack(flat, -1);
  }

  /// x [..., d] moved to the nearest lattice point.
  [[nodiscard]] torch::Tensor snap(const torch::Tensor& x) const {
    auto out = x.detach().to(torch::kFloat64).clone().contiguous();
    auto flat = out.view({-1, dim()});
    for (std::int64_t i = 0; i < flat.size(0); ++i)
      for (std::size_t j = 0; j < values_.size(); ++j) {
        const auto sj = static_cast<std::int64_t>(j);
        flat[i][sj] = values_[j][nearest(j, flat[i][sj].item<double>())];
      }
    return out;
  }

 private:
  [[nodiscard]] std::size_t nearest(std::size_t j, double x) const {
    const auto& v = values_[j];
    std::size_t best = 0;
    for (std::size_t k = 1; k < v.size(); ++k)
      if (std::abs(v[k] - x) < std::abs(v[best] - x)) best = k;
    return best;
  }

  std::vector<std::vector<double>> values_;
  bool adjacent_only_;
};

}  // namespace autopeft::mobo
