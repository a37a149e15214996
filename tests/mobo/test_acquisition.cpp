// Acquisition functions: qNEHVI against analytic EHVI and a brute-force hypervolume oracle,
// gradients, pending points, qLogNEHVI, qNParEGO, UCB, Thompson sampling, random.
#include <autopeft/mobo/acquisition.hpp>
#include <autopeft/mobo/kernel.hpp>
#include <autopeft/mobo/model.hpp>
#include <autopeft/mobo/pareto.hpp>
#include <autopeft/mobo/prior.hpp>

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <cmath>
#include <cstdint>
#include <vector>

using namespace autopeft::mobo;

namespace {

using model_t = gp<rbf_kernel>;

static_assert(acquisition<qnehvi<model_t>>);
static_assert(acquisition<qlog_nehvi<model_t>>);
static_assert(acquisition<expected_hypervolume_improvement<model_t>>);
static_assert(acquisition<qnparego<model_t>>);
static_assert(acquisition<scalarized_ucb<model_t>>);
static_assert(acquisition<thompson_sampling<model_t>>);
static_assert(acquisition<random_acquisition>);
static_assert(acquisition<acquisition_function>);
static_assert(!acquisition<int>);
static_assert(!acquisition<model_t>);  // a model is not an acquisition: no operator()

// Two smooth objectives on [0, 1]^2 to maximise, with a proper trade-off.
torch::Tensor objectives(const torch::Tensor& x) {
  const auto a = x.select(-1, 0), b = x.select(-1, 1);
  return torch::stack({torch::sin(3 * a) + 0.5 * b, torch::cos(3 * a) - 0.5 * (b - 0.5).pow(2)},
                      -1);
}

torch::Tensor train_x(std::int64_t n, std::uint64_t seed = 1) {
  return qmc_uniform(n, 2, seed);
}

// A fitted GP; noise_var fixes the observation noise (tiny: the baseline is known exactly).
model_t fitted(const torch::Tensor& x, const torch::Tensor& y, std::optional<double> noise_var) {
  const auto p = prior_set::dimension_scaled(2);
  gp_options o;
  o.bounds = torch::stack({torch::zeros({2}), torch::ones({2})}).to(torch::kFloat64);
  if (noise_var) o.train_yvar = torch::full({1}, *noise_var, torch::kFloat64);
  model_t m(x, y,
            rbf_kernel({.ard_num_dims = 2, .batch_shape = {2}, .lengthscale_prior = p.lengthscale,
                        .initial_lengthscale = p.initial_lengthscale}),
            o);
  m.fit();
  return m;
}

const torch::Tensor ref = torch::tensor({-1.2, -1.5}, torch::kFloat64);

}  // namespace

TEST_CASE("qmc_normal is deterministic, stratified and standard normal", "[mobo][acquisition]") {
  const auto z = qmc_normal(512, 6, 3);
  CHECK(torch::equal(z, qmc_normal(512, 6, 3)));
  CHECK_FALSE(torch::equal(z, qmc_normal(512, 6, 4)));
  CHECK(z.mean(0).abs().max().item<double>() < 0.02);
  CHECK((z.std(0) - 1).abs().max().item<double>() < 0.05);
  // Coordinate 0 (base 2, 9 digits) puts exactly one point in each of 512 strata.
  const auto u = qmc_uniform(512, 1, 0).squeeze(-1);
  const auto strata = (u * 512).floor().to(torch::kInt64);
  CHECK(torch::equal(std::get<0>(strata.sort()), torch::arange(512, torch::kInt64)));
}

TEST_CASE("qNEHVI with q = 1 agrees with analytic EHVI on a known baseline",
          "[mobo][acquisition]") {
  const auto x = train_x(10);
  const auto y = objectives(x);
  const auto model = fitted(x, y, 1e-8);
  const std::int64_t S = 4096;
  qnehvi<model_t> mc(model, ref, x, {.mc_samples = S, .seed = 5});
  expected_hypervolume_improvement<model_t> exact(model, ref, y);
  // The sampled baselines are the observations (noiseless), so every sample has y's front.
  CHECK((mc.baseline_samples() - y.unsqueeze(0)).abs().max().item<double>() < 1e-3);
  const auto X = torch::tensor({{0.05, 0.9}, {0.5, 0.5}, {0.35, 0.95}, {0.9, 0.2}},
                               torch::kFloat64)
                     .unsqueeze(1);
  torch::NoGradGuard no_grad;
  const auto v = mc(X), e = exact(X);
  const auto per_sample = autopeft::mobo::detail::hvi_inclusion_exclusion(mc.cells(), mc.candidate_samples(X));
  const auto se = per_sample.std(0) / std::sqrt(static_cast<double>(S));
  INFO("qNEHVI " << v << "\nEHVI " << e << "\nstandard error " << se);
  CHECK(((v - e).abs() <= 4 * se + 1e-6).all().item<bool>());
  CHECK((e > 1e-3).any().item<bool>());
}

TEST_CASE("qNEHVI equals the brute-force Monte-Carlo HVI over the same samples",
          "[mobo][acquisition]") {
  const auto x = train_x(8);
  const auto y = objectives(x) + 0.05 * torch::randn({8, 2}, torch::kFloat64);
  const auto model = fitted(x, y, std::nullopt);
  for (std::int64_t q : {1, 2, 3}) {
    const std::int64_t S = 32;
    qnehvi<model_t> acq(model, ref, x, {.mc_samples = S, .seed = 11});
    const auto X = qmc_uniform(2 * q, 2, 9).view({2, q, 2});
    torch::NoGradGuard no_grad;
    const auto value = acq(X);
    const auto base = acq.baseline_samples();   // [S, n, m]
    const auto cand = acq.candidate_samples(X);  // [S, b, q, m]
    for (std::int64_t b = 0; b < 2; ++b) {
      double total = 0.0;
      for (std::int64_t s = 0; s < S; ++s) {
        const auto front = base[s];
        total += hypervolume(torch::cat({front, cand[s][b]}), ref) - hypervolume(front, ref);
      }
      INFO("q = " << q << ", b = " << b);
      CHECK(value[b].item<double>() == Approx(total / S).epsilon(1e-9).margin(1e-12));
    }
  }
}

TEST_CASE("qNEHVI and qLogNEHVI gradients match finite differences", "[mobo][acquisition]") {
  const auto x = train_x(8);
  const auto y = objectives(x);
  const auto model = fitted(x, y, std::nullopt);
  qnehvi<model_t> acq(model, ref, x, {.mc_samples = 64, .seed = 2});
  qlog_nehvi<model_t> log_acq(model, ref, x, {.mc_samples = 64, .seed = 2});
  const auto X0 = torch::tensor({{{0.3, 0.8}, {0.6, 0.4}}}, torch::kFloat64);
  auto check = [&](const auto& f, const char* name) {
    auto X = X0.clone().requires_grad_(true);
    f(X).sum().backward();
    const auto g = X.grad();
    torch::NoGradGuard no_grad;
    const double h = 1e-6;
    for (std::int64_t i = 0; i < 4; ++i) {
      auto up = X0.clone(), down = X0.clone();
      up.view(-1)[i] += h;
      down.view(-1)[i] -= h;
      const double fd = (f(up) - f(down)).template item<double>() / (2 * h);
      INFO(name << " coordinate " << i);
      CHECK(g.view(-1)[i].item<double>() == Approx(fd).epsilon(1e-4).margin(1e-7));
    }
    CHECK(g.abs().sum().item<double>() > 0);
  };
  check(acq, "qNEHVI");
  check(log_acq, "qLogNEHVI");
}

TEST_CASE("pending points lower qNEHVI at the pending location", "[mobo][acquisition]") {
  const auto x = train_x(8);
  const auto y = objectives(x);
  const auto model = fitted(x, y, std::nullopt);
  const auto xp = torch::tensor({{0.45, 0.9}}, torch::kFloat64);
  torch::NoGradGuard no_grad;
  qnehvi<model_t> plain(model, ref, x, {.mc_samples = 256});
  qnehvi<model_t> pending(model, ref, x, {.mc_samples = 256, .X_pending = xp});
  const double before = plain(xp.unsqueeze(0)).item<double>();
  const double after = pending(xp.unsqueeze(0)).item<double>();
  INFO("without pending " << before << ", with " << after);
  CHECK(before > 1e-3);
  CHECK(after < 1e-3 * before);
  // A far point keeps most of its value.
  const auto far = torch::tensor({{{0.95, 0.1}}}, torch::kFloat64);
  CHECK(pending(far).item<double>() >= 0.5 * plain(far).item<double>());
}

TEST_CASE("exp(qLogNEHVI) approximates qNEHVI and stays finite without improvement",
          "[mobo][acquisition]") {
  const auto x = train_x(8);
  const auto y = objectives(x);
  const auto model = fitted(x, y, std::nullopt);
  qnehvi<model_t> acq(model, ref, x, {.mc_samples = 128});
  qlog_nehvi<model_t> log_acq(model, ref, x, {.mc_samples = 128});
  torch::NoGradGuard no_grad;
  const auto X = qmc_uniform(12, 2, 4).view({6, 2, 2});
  const auto v = acq(X), lv = log_acq(X);
  INFO(v << "\n" << lv.exp());
  CHECK(torch::allclose(lv.exp(), v, 2e-2, 1e-4));
  // A point on an observation has (nearly) no improvement: qNEHVI ~ 0, qLogNEHVI finite.
  const auto on = x[0].view({1, 1, 2});
  CHECK(std::isfinite(log_acq(on).item<double>()));
}

TEST_CASE("qNParEGO, scalarised UCB, Thompson sampling and random acquisitions",
          "[mobo][acquisition]") {
  const auto x = train_x(10);
  const auto y = objectives(x);
  const auto model = fitted(x, y, std::nullopt);
  const auto X = qmc_uniform(16, 2, 6).view({8, 2, 2});
  SECTION("qNParEGO is non-negative, zero on the baseline optimum, differentiable") {
    qnparego<model_t> acq(model, x, {.mc_samples = 64, .seed = 3});
    CHECK(acq.weights().sum().item<double>() == Approx(1.0));
    auto Xg = X.clone().requires_grad_(true);
    const auto v = acq(Xg);
    CHECK(v.sizes() == torch::IntArrayRef{8});
    CHECK((v >= 0).all().item<bool>());
    v.sum().backward();
    CHECK(torch::isfinite(Xg.grad()).all().item<bool>());
    // Brute force: the same formula from the samples, via a fixed weight.
    qnparego<model_t> fixed(model, x,
                            {.mc_samples = 64, .rho = 0.0,
                             .weights = torch::tensor({1.0, 0.0}, torch::kFloat64)});
    torch::NoGradGuard no_grad;
    CHECK(fixed(X).sizes() == torch::IntArrayRef{8});
  }
  SECTION("UCB grows with beta and equals the scalarised mean for beta = 0") {
    torch::NoGradGuard no_grad;
    const auto w = torch::tensor({0.3, 0.7}, torch::kFloat64);
    scalarized_ucb<model_t> u0(model, x, {.beta = 0.0, .weights = w});
    scalarized_ucb<model_t> u4(model, x, {.beta = 4.0, .weights = w});
    CHECK((u4(X) >= u0(X) - 1e-12).all().item<bool>());
    const auto mean = model.posterior(x).mean.t();
    const auto lo = std::get<0>(mean.min(0)), width = std::get<0>(mean.max(0)) - lo;
    const auto single = X.narrow(1, 0, 1);
    const auto mu = model.posterior(single).mean.squeeze(-1);  // [b, m]
    const auto wy = w * (mu - lo) / width;
    const auto expected = std::get<0>(wy.min(-1)) + 0.05 * wy.sum(-1);
    CHECK(torch::allclose(u0(single), expected, 1e-9, 1e-12));
  }
  SECTION("Thompson sampling is one joint draw per call, reproducible by seed") {
    torch::NoGradGuard no_grad;
    thompson_sampling<model_t> a(model, y, {.ref_point = ref, .seed = 1});
    thompson_sampling<model_t> b(model, y, {.ref_point = ref, .seed = 1});
    CHECK(torch::equal(a(X), b(X)));
    CHECK((a(X) >= 0).all().item<bool>());
    thompson_sampling<model_t> s(model, y, {.seed = 2});
    CHECK(s(X).sizes() == torch::IntArrayRef{8});
  }
  SECTION("random acquisition: uniform values with zero gradient") {
    random_acquisition r({.seed = 4});
    auto Xg = X.clone().requires_grad_(true);
    const auto v = r(Xg);
    CHECK(((v >= 0) & (v < 1)).all().item<bool>());
    v.sum().backward();
    CHECK(Xg.grad().abs().sum().item<double>() == 0.0);
  }
  SECTION("acquisition_function erases the type and keeps the values") {
    qnehvi<model_t> q(model, ref, x, {.mc_samples = 32});
    acquisition_function f = q;
    torch::NoGradGuard no_grad;
    CHECK(torch::equal(f(X), q(X)));
  }
}

TEST_CASE("analytic EHVI equals a brute-force Monte-Carlo expectation", "[mobo][acquisition]") {
  const auto x = train_x(8);
  const auto y = objectives(x);
  const auto model = fitted(x, y, std::nullopt);
  expected_hypervolume_improvement<model_t> ehvi(model, ref, y);
  torch::NoGradGuard no_grad;
  const auto X = torch::tensor({{{0.2, 0.7}}, {{0.8, 0.3}}}, torch::kFloat64);
  const auto post = model.posterior(X);  // mean [2, m, 1]
  const std::int64_t S = 20000;
  const auto z = qmc_normal(S, 2, 8);
  const auto v = ehvi(X);
  for (std::int64_t b = 0; b < 2; ++b) {
    const auto mu = post.mean[b].squeeze(-1), sd = post.variance()[b].squeeze(-1).sqrt();
    const auto samples = mu + sd * z;  // [S, m]
    const double base = hypervolume(y, ref);
    std::vector<double> hvi;
    for (std::int64_t s = 0; s < S; ++s)
      hvi.push_back(hypervolume(torch::cat({y, samples[s].unsqueeze(0)}), ref) - base);
    const auto t = torch::tensor(hvi, torch::kFloat64);
    const double se = t.std().item<double>() / std::sqrt(static_cast<double>(S));
    INFO("b = " << b << ": EHVI " << v[b].item<double>() << ", MC " << t.mean().item<double>()
                << " +- " << se);
    CHECK(std::abs(v[b].item<double>() - t.mean().item<double>()) <= 4 * se + 1e-9);
  }
}
