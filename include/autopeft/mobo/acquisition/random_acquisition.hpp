#pragma once
// Random search as an acquisition: i.i.d. U(0, 1) values, X [b, q, d] -> [b], so that any
// optimiser returns a random candidate of its search space (a baseline, and the initial design
// of discrete spaces). The values carry a zero gradient with respect to X. Seeded; copies share
// the generator.
//
// Example:
//   auto x = exhaustive_search{candidates}(random_acquisition{{.seed = 1}});
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <random>
#include <vector>

namespace autopeft::mobo {

struct random_acquisition_options {
  std::uint64_t seed = 0;
};

class random_acquisition {
 public:
  explicit random_acquisition(random_acquisition_options o = {})
      : rng_(std::make_shared<std::mt19937_64>(o.seed)) {}

  /// X [b, q, d] -> [b].
  [[nodiscard]] torch::Tensor operator()(const torch::Tensor& X) const {
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::vector<double> v(static_cast<std::size_t>(X.size(0)));
    for (auto& x : v) x = u(*rng_);
    return torch::tensor(v, torch::kFloat64) + 0.0 * X.to(torch::kFloat64).sum({-1, -2});
  }

 private:
  std::shared_ptr<std::mt19937_64> rng_;
};

}  // namespace autopeft::mobo
