// qNEHVI (and qLogNEHVI) evaluation costs on a fitted 2-objective GP, d = 15 as in AutoPEFT's
// search space, S = 128 quasi-MC samples, one candidate batch (b = 1), double precision on the
// CPU. Each benchmark times one call, value alone or value + backward to X (what a gradient
// optimiser of the acquisition pays per step), as a function of
//   - the number of observations n (the baseline; q = 2),
//   - the number of Pareto points among n = 128 observations (q = 2), which sets the number of
//     cells C of the cached box decompositions (counter "cells": the mean over the S samples),
//   - the batch size q = 1..4 (n = 64; the HVI sums over 2^q - 1 subsets).
// The GP fit and the acquisition's construction (baseline posterior, S box decompositions) are
// done once per argument, outside the timing, and cached across Google Benchmark's repeated
// calls of a benchmark function.
//
// Outcomes (maximised): a polar front y = r (cos t, sin t) with t = (pi/2) x0 and
// r = 1 - 0.5 x1; placing P >= 4 of the n inputs at x1 = 0 with evenly spaced t and the rest
// at x1 >= 0.8 gives exactly P Pareto points (counter "pareto" checks it). The other 13
// inputs are irrelevant (the ARD fit learns long lengthscales for them). Reference point
// (-0.1, -0.1).
#include <autopeft/mobo/acquisition/qlog_nehvi.hpp>
#include <autopeft/mobo/acquisition/qnehvi.hpp>
#include <autopeft/mobo/kernel.hpp>
#include <autopeft/mobo/model.hpp>
#include <autopeft/mobo/prior.hpp>

#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <numbers>
#include <utility>

namespace {

using namespace autopeft::mobo;

constexpr std::int64_t kDims = 15;
constexpr std::int64_t kObjectives = 2;
constexpr std::int64_t kSamples = 128;

using kernel_t = scale_kernel<matern52_kernel>;
using model_t = gp<kernel_t>;

kernel_t kernel(std::int64_t m) {
  const auto p = prior_set::gamma();
  return kernel_t(matern52_kernel({.ard_num_dims = kDims,
                                   .batch_shape = {m},
                                   .lengthscale_prior = p.lengthscale,
                                   .initial_lengthscale = p.initial_lengthscale}),
                  {.batch_shape = {m},
                   .outputscale_prior = p.outputscale,
                   .initial_outputscale = p.initial_outputscale});
}

torch::Tensor outcomes(const torch::Tensor& x) {
  const auto t = (std::numbers::pi / 2) * x.select(1, 0);
  const auto r = 1.0 - 0.5 * x.select(1, 1);
  return torch::stack({r * torch::cos(t), r * torch::sin(t)}, -1);
}

/// n uniform inputs; with pareto >= 4, the first `pareto` of them moved onto the front (x1 = 0,
/// angles evenly spaced over [0, pi/2] ends included) and the others to x1 in [0.8, 1]
/// (r <= 0.6 < cos(pi/4)): every other point is then dominated by a front point, so exactly
/// `pareto` observations are Pareto-optimal. With pareto < 0, x1 stays uniform.
torch::Tensor inputs(std::int64_t n, std::int64_t pareto) {
  torch::manual_seed(1);
  auto x = torch::rand({n, kDims}, torch::kFloat64);
  if (pareto >= 0) {
    torch::NoGradGuard no_grad;
    x.select(1, 0).narrow(0, 0, pareto).copy_(torch::linspace(0.0, 1.0, pareto, torch::kFloat64));
    auto x1 = x.select(1, 1);
    x1.narrow(0, 0, pareto).zero_();
    x1.narrow(0, pareto, n - pareto).mul_(0.2).add_(0.8);
  }
  return x;
}

struct fitted {
  torch::Tensor x;
  std::unique_ptr<qnehvi<model_t>> exact;
  std::unique_ptr<qlog_nehvi<model_t>> smooth;
  double cells = 0.0;    // mean number of non-empty cells per sample
  double observed_pareto = 0.0;
};

const torch::Tensor& ref_point() {
  static const auto r = torch::tensor({-0.1, -0.1}, torch::kFloat64);
  return r;
}

/// Fitted GP and both acquisitions for (n, pareto), built once.
fitted& setup(std::int64_t n, std::int64_t pareto) {
  static std::map<std::pair<std::int64_t, std::int64_t>, fitted> cache;
  auto key = std::make_pair(n, pareto);
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  fitted f;
  f.x = inputs(n, pareto);
  const auto y = outcomes(f.x);
  model_t model(f.x, y, kernel(kObjectives));
  model.fit();
  f.exact = std::make_unique<qnehvi<model_t>>(model, ref_point(), f.x,
                                              qnehvi_options{.mc_samples = kSamples, .seed = 0});
  f.smooth = std::make_unique<qlog_nehvi<model_t>>(
      model, ref_point(), f.x, qlog_nehvi_options{.mc_samples = kSamples, .seed = 0});
  const auto& c = f.exact->cells();  // [2, S, C, m]
  f.cells = (c[1] > c[0]).all(-1).sum(-1).to(torch::kFloat64).mean().item<double>();
  // Observed Pareto points (maximisation): not dominated by any other observation.
  const auto ge = (y.unsqueeze(0) >= y.unsqueeze(1)).all(-1);  // [i, j]: y_i >= y_j
  const auto gt = (y.unsqueeze(0) > y.unsqueeze(1)).any(-1);
  f.observed_pareto =
      static_cast<double>(n - (ge & gt).any(1).sum().item<std::int64_t>());
  return cache.emplace(key, std::move(f)).first->second;
}

torch::Tensor candidates(std::int64_t q) {
  torch::manual_seed(7);
  return torch::rand({1, q, kDims}, torch::kFloat64);
}

template <class Acq>
void time_call(benchmark::State& state, const Acq& acq, std::int64_t q, bool gradient) {
  auto X = candidates(q);
  if (gradient) {
    X.requires_grad_(true);
    for (auto _ : state) {
      auto v = acq(X).sum();
      v.backward();
      benchmark::DoNotOptimize(X.grad().data_ptr());
      X.mutable_grad().reset();
    }
  } else {
    torch::NoGradGuard no_grad;
    for (auto _ : state) benchmark::DoNotOptimize(acq(X).data_ptr());
  }
}

void counters(benchmark::State& state, const fitted& f, std::int64_t q) {
  state.counters["cells"] = f.cells;
  state.counters["pareto"] = f.observed_pareto;
  state.counters["q"] = static_cast<double>(q);
}

// Over n (random x1: the observed front is whatever the data give), q = 2.
void qnehvi_n(benchmark::State& state, bool gradient) {
  const auto n = state.range(0);
  auto& f = setup(n, -1);
  time_call(state, *f.exact, 2, gradient);
  counters(state, f, 2);
  state.SetComplexityN(n);
}

// Over the number of Pareto points P among n = 128 observations, q = 2.
void qnehvi_pareto(benchmark::State& state, bool gradient) {
  const auto p = state.range(0);
  auto& f = setup(128, p);
  time_call(state, *f.exact, 2, gradient);
  counters(state, f, 2);
  state.SetComplexityN(p);
}

// Over q, n = 64 (random x1).
void qnehvi_q(benchmark::State& state, bool gradient) {
  const auto q = state.range(0);
  auto& f = setup(64, -1);
  time_call(state, *f.exact, q, gradient);
  counters(state, f, q);
  state.SetComplexityN(q);
}

// qLogNEHVI, value + gradient, n = 64, q = 2 (to compare with qnehvi_n/grad/64).
void qlog_nehvi_grad(benchmark::State& state) {
  auto& f = setup(64, -1);
  time_call(state, *f.smooth, 2, true);
  counters(state, f, 2);
}

}  // namespace

BENCHMARK_CAPTURE(qnehvi_n, value, false)
    ->RangeMultiplier(2)
    ->Range(16, 128)
    ->Complexity()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(qnehvi_n, grad, true)
    ->RangeMultiplier(2)
    ->Range(16, 128)
    ->Complexity()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(qnehvi_pareto, value, false)
    ->RangeMultiplier(2)
    ->Range(4, 128)
    ->Complexity()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(qnehvi_pareto, grad, true)
    ->RangeMultiplier(2)
    ->Range(4, 128)
    ->Complexity()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(qnehvi_q, value, false)
    ->DenseRange(1, 4)
    ->Complexity()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(qnehvi_q, grad, true)
    ->DenseRange(1, 4)
    ->Complexity()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(qlog_nehvi_grad)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
