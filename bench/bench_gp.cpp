// GP surrogate costs over the number of observations n: the Matern-5/2 kernel matrix (O(n^2 d)),
// a MAP fit of a 2-objective GP (L-BFGS; each step an O(n^3) Cholesky) and the posterior at
// 256 query points. Double precision on the CPU, d = 15 as in AutoPEFT's search space.
#include <autopeft/mobo/kernel.hpp>
#include <autopeft/mobo/model.hpp>
#include <autopeft/mobo/prior.hpp>

#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <cstdint>

namespace {

using namespace autopeft::mobo;

constexpr std::int64_t kDims = 15;
constexpr std::int64_t kObjectives = 2;

torch::Tensor inputs(std::int64_t n) {
  torch::manual_seed(1);
  return torch::rand({n, kDims}, torch::kFloat64);
}

torch::Tensor outcomes(const torch::Tensor& x) {
  const auto a = torch::sin(6.0 * x.narrow(1, 0, 3)).sum(-1);
  const auto b = (x.narrow(1, 3, 12) - 0.5).pow(2).sum(-1);
  return torch::stack({a + 0.1 * b, b - 0.2 * a}, -1);
}

scale_kernel<matern52_kernel> kernel(std::int64_t m) {
  const auto p = prior_set::gamma();
  return scale_kernel<matern52_kernel>(
      matern52_kernel({.ard_num_dims = kDims,
                       .batch_shape = {m},
                       .lengthscale_prior = p.lengthscale,
                       .initial_lengthscale = p.initial_lengthscale}),
      {.batch_shape = {m},
       .outputscale_prior = p.outputscale,
       .initial_outputscale = p.initial_outputscale});
}

void kernel_matrix(benchmark::State& state) {
  const auto n = state.range(0);
  const auto x = inputs(n);
  const auto k = kernel(kObjectives);
  torch::NoGradGuard no_grad;
  for (auto _ : state) benchmark::DoNotOptimize(k(x, x).data_ptr());
  state.SetComplexityN(n);
}

void gp_fit(benchmark::State& state) {
  const auto n = state.range(0);
  const auto x = inputs(n);
  const auto y = outcomes(x);
  for (auto _ : state) {
    gp model(x, y, kernel(kObjectives));
    const auto r = model.fit();
    benchmark::DoNotOptimize(r.final_loss);
  }
  state.SetComplexityN(n);
}

void gp_posterior(benchmark::State& state) {
  const auto n = state.range(0);
  const auto x = inputs(n);
  gp model(x, outcomes(x), kernel(kObjectives));
  const auto xt = torch::rand({256, kDims}, torch::kFloat64);
  torch::NoGradGuard no_grad;
  for (auto _ : state) benchmark::DoNotOptimize(model.posterior(xt).covariance.data_ptr());
  state.SetComplexityN(n);
}

}  // namespace

BENCHMARK(kernel_matrix)
    ->RangeMultiplier(2)
    ->Range(64, 2048)
    ->Complexity(benchmark::oNSquared)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(gp_fit)->RangeMultiplier(2)->Range(16, 256)->Complexity()->Unit(benchmark::kMillisecond);
BENCHMARK(gp_posterior)
    ->RangeMultiplier(2)
    ->Range(32, 1024)
    ->Complexity()
    ->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
