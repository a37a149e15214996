// Hypervolume and box decompositions over the size of a random non-dominated front.
#include <autopeft/mobo/pareto.hpp>

#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

namespace {

// n points on the positive unit sphere in m dimensions: all mutually non-dominated.
std::vector<double> sphere_front(std::size_t n, std::size_t m, unsigned seed = 1) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal;
  std::vector<double> y(n * m);
  for (std::size_t i = 0; i < n; ++i) {
    double norm = 0.0;
    for (std::size_t j = 0; j < m; ++j) {
      y[i * m + j] = std::abs(normal(rng));
      norm += y[i * m + j] * y[i * m + j];
    }
    for (std::size_t j = 0; j < m; ++j) y[i * m + j] /= std::sqrt(norm);
  }
  return y;
}

void hypervolume(benchmark::State& state, std::size_t m) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto y = sphere_front(n, m);
  const std::vector<double> ref(m, 0.0);
  for (auto _ : state) benchmark::DoNotOptimize(autopeft::mobo::hypervolume(y, m, ref));
  state.SetComplexityN(state.range(0));
}

void partition(benchmark::State& state, std::size_t m, bool dominated) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto y = sphere_front(n, m);
  const std::vector<double> ref(m, 0.0);
  const double alpha = autopeft::mobo::default_partitioning_alpha(m);
  std::size_t cells = 0;
  for (auto _ : state) {
    auto c = dominated ? autopeft::mobo::dominated_partitioning(y, m, ref, alpha)
                       : autopeft::mobo::non_dominated_partitioning(y, m, ref, alpha);
    cells = c.size();
    benchmark::DoNotOptimize(c.lower.data());
  }
  state.counters["cells"] = static_cast<double>(cells);
  state.SetComplexityN(state.range(0));
}

// The tensor entry point as qNEHVI calls it: one decomposition per MC sample of a 2-objective
// front of 32 points, 128 samples, converted to one [2, 128, cells, 2] tensor.
void batched_nondominated_2d(benchmark::State& state) {
  auto Y = torch::rand({128, 32, 2}, torch::kFloat64);
  auto ref = torch::zeros({2}, torch::kFloat64);
  for (auto _ : state) benchmark::DoNotOptimize(autopeft::mobo::non_dominated_partitioning(Y, ref));
}

}  // namespace

BENCHMARK_CAPTURE(hypervolume, m2, 2)
    ->RangeMultiplier(4)
    ->Range(256, 262144)
    ->Complexity(benchmark::oNLogN);
BENCHMARK_CAPTURE(hypervolume, m3, 3)
    ->RangeMultiplier(4)
    ->Range(256, 65536)
    ->Complexity(benchmark::oNLogN);
BENCHMARK_CAPTURE(hypervolume, m4, 4)
    ->RangeMultiplier(2)
    ->Range(64, 1024)
    ->Complexity(benchmark::oNSquared);
BENCHMARK_CAPTURE(hypervolume, m5, 5)->RangeMultiplier(2)->Range(16, 128)->Complexity();
BENCHMARK_CAPTURE(partition, nondominated_m2, 2, false)
    ->RangeMultiplier(4)
    ->Range(64, 16384)
    ->Complexity(benchmark::oNLogN);
BENCHMARK_CAPTURE(partition, nondominated_m3, 3, false)
    ->RangeMultiplier(4)
    ->Range(64, 16384)
    ->Complexity(benchmark::oNLogN);
BENCHMARK_CAPTURE(partition, dominated_m3, 3, true)
    ->RangeMultiplier(4)
    ->Range(64, 16384)
    ->Complexity(benchmark::oNLogN);
BENCHMARK_CAPTURE(partition, nondominated_m4, 4, false)
    ->RangeMultiplier(2)
    ->Range(16, 256)
    ->Complexity(benchmark::oNSquared);
BENCHMARK_CAPTURE(partition, nondominated_m5, 5, false)
    ->RangeMultiplier(2)
    ->Range(8, 64)
    ->Complexity();
BENCHMARK_CAPTURE(hypervolume, m3_n2000, 3)->Arg(2000);
BENCHMARK(batched_nondominated_2d);
