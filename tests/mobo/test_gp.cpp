// The exact GP, its fit, posterior and samples; jittered Cholesky; SAAS (MAP and NUTS); NUTS.
#include <autopeft/error.hpp>
#include <autopeft/mobo/inference/nuts.hpp>
#include <autopeft/mobo/kernel.hpp>
#include <autopeft/mobo/model.hpp>
#include <autopeft/mobo/prior.hpp>

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

using namespace autopeft::mobo;

namespace {

using scaled_matern = scale_kernel<matern52_kernel>;

scaled_matern matern(std::int64_t d, std::int64_t m, double lengthscale = 0.3) {
  return scaled_matern(
      matern52_kernel({.ard_num_dims = d, .batch_shape = {m}, .initial_lengthscale = lengthscale}),
      {.batch_shape = {m}});
}

rbf_kernel botorch_rbf(std::int64_t d, std::int64_t m) {
  const auto p = prior_set::dimension_scaled(d);
  return rbf_kernel({.ard_num_dims = d,
                     .batch_shape = {m},
                     .lengthscale_prior = p.lengthscale,
                     .initial_lengthscale = p.initial_lengthscale});
}

torch::Tensor linspace_column(double a, double b, std::int64_t n) {
  return torch::linspace(a, b, n, torch::kFloat64).unsqueeze(-1);
}

// Two objectives on [0, 5] x [0, 1]: a smooth one and a rougher one.
torch::Tensor two_objectives(const torch::Tensor& x) {
  const auto a = x.select(-1, 0), b = x.select(-1, 1);
  return torch::stack({torch::sin(a) + b * b, torch::cos(2 * a) * b - 3.0}, -1);
}

torch::Tensor inputs_2d(std::int64_t n) {
  return torch::rand({n, 2}, torch::kFloat64) * torch::tensor({5.0, 1.0}, torch::kFloat64);
}

double max_abs(const torch::Tensor& t) { return t.abs().max().item<double>(); }

// NUTS evaluates thousands of tiny-matrix log densities: intra-op threads only add latency,
// and on a loaded machine (the CI runs with OMP_NUM_THREADS=2 beside other jobs) they made the
// SAAS test 20x slower. The sampling tests run single-threaded and restore the setting.
struct single_threaded {
  int previous = torch::get_num_threads();
  single_threaded() { torch::set_num_threads(1); }
  ~single_threaded() { torch::set_num_threads(previous); }
  single_threaded(const single_threaded&) = delete;
  single_threaded& operator=(const single_threaded&) = delete;
};

}  // namespace

TEST_CASE("jittered Cholesky escalates jitter and reports an impossible matrix",
          "[mobo][gp][cholesky]") {
  SECTION("a positive definite matrix is factorised without jitter") {
    const auto a = torch::tensor({{4.0, 2.0}, {2.0, 3.0}}, torch::kFloat64);
    const auto l = jittered_cholesky(a);
    CHECK(torch::allclose(l.matmul(l.t()), a, 0.0, 1e-14));
  }
  SECTION("a singular PSD matrix (duplicated inputs, no noise) gets a small jitter") {
    const auto a = torch::ones({2, 4, 4}, torch::kFloat64);  // rank one, batched
    CHECK_FALSE(std::get<1>(torch::linalg_cholesky_ex(a, false, false)).eq(0).all().item<bool>());
    const auto l = jittered_cholesky(a);
    CHECK(max_abs(l.matmul(l.transpose(-1, -2)) - a) < 1e-4);
  }
  SECTION("an indefinite matrix gives a clear error") {
    const auto a = torch::tensor({{1.0, 2.0}, {2.0, 1.0}}, torch::kFloat64);
    CHECK_THROWS_AS(jittered_cholesky(a), autopeft::error);
    CHECK_THROWS_WITH(jittered_cholesky(a), Catch::Contains("not positive definite even with "
                                                            "jitter"));
  }
  SECTION("NaN entries are named as such") {
    auto a = torch::eye(3, torch::kFloat64);
    a[1][1] = std::nan("");
    CHECK_THROWS_WITH(jittered_cholesky(a), Catch::Contains("NaN"));
  }
}

TEST_CASE("the GP posterior interpolates noise-free data and widens away from it", "[mobo][gp]") {
  const auto x = linspace_column(0.0, 1.0, 8);
  const auto y = torch::sin(6.0 * x) * 10.0 + 4.0;
  gp_options o;
  o.train_yvar = torch::tensor(1e-6, torch::kFloat64);  // original scale
  gp model(x, y, matern(1, 1, 0.3), o);

  torch::NoGradGuard no_grad;
  const auto at_train = model.posterior(x);
  REQUIRE(at_train.mean.sizes() == torch::IntArrayRef({1, 8}));
  REQUIRE(at_train.covariance.sizes() == torch::IntArrayRef({1, 8, 8}));
  CHECK(max_abs(at_train.mean[0] - y.squeeze(-1)) < 1e-3);
  // Latent variance at the data is at most the noise; with the noise it is about the noise.
  CHECK(at_train.variance().max().item<double>() <= 1e-6 * 1.01);
  CHECK(at_train.variance().min().item<double>() >= -1e-9);
  const auto noisy = model.posterior(x, /*observation_noise=*/true);
  CHECK(noisy.variance().min().item<double>() >= 1e-6 * 0.99);
  CHECK(noisy.variance().max().item<double>() <= 2e-6 * 1.01);

  // Between the data the variance is larger, and far away it returns to the prior variance
  // (outputscale 1 times the outcome variance).
  const auto between = model.posterior(linspace_column(1.0 / 14, 13.0 / 14, 7));
  CHECK(between.variance().min().item<double>() > 1e-5);
  const auto far = model.posterior(linspace_column(4.0, 6.0, 3));
  const double prior_var = y.var().item<double>();
  CHECK(far.variance().min().item<double>() == Approx(prior_var).epsilon(1e-3));
  CHECK(max_abs(far.mean - y.mean()) < 1e-3 * std::sqrt(prior_var));
  double last = -1.0;
  for (double d : {1.05, 1.2, 1.5, 2.0}) {  // monotone growth away from the last point
    const double v =
        model.posterior(torch::tensor({{d}}, torch::kFloat64)).variance().item<double>();
    CHECK(v > last);
    last = v;
  }
}

TEST_CASE("standardisation and normalisation round-trip; the posterior is equivariant",
          "[mobo][gp]") {
  torch::manual_seed(3);
  const auto x = inputs_2d(15);
  const auto y = two_objectives(x);
  gp_options o;
  o.bounds = torch::tensor({{0.0, 0.0}, {5.0, 1.0}}, torch::kFloat64);
  gp model(x, y, matern(2, 2), o);

  CHECK(torch::allclose(model.unstandardize(model.standardize(y)), y, 1e-12, 1e-12));
  CHECK(max_abs(model.train_targets().mean(-1)) < 1e-12);
  CHECK(torch::allclose(model.train_targets().std(-1), torch::ones({2}, torch::kFloat64)));
  CHECK(torch::allclose(model.normalize_inputs(*o.bounds),
                        torch::tensor({{0.0, 0.0}, {1.0, 1.0}}, torch::kFloat64)));

  // Y -> a Y + b per objective maps the posterior mean to a mean + b and the covariance to
  // a^2 cov: the model sees identical standardised data.
  const auto a = torch::tensor({10.0, 0.5}, torch::kFloat64);
  const auto b = torch::tensor({100.0, -7.0}, torch::kFloat64);
  gp shifted(x, y * a + b, matern(2, 2), o);
  torch::NoGradGuard no_grad;
  const auto xt = inputs_2d(6);
  const auto p = model.posterior(xt), q = shifted.posterior(xt);
  CHECK(torch::allclose(q.mean, p.mean * a.unsqueeze(-1) + b.unsqueeze(-1), 1e-9, 1e-9));
  CHECK(torch::allclose(q.covariance, p.covariance * a.pow(2).view({2, 1, 1}), 1e-9, 1e-12));

  SECTION("bounds from the data when none are given") {
    gp from_data(x, y, matern(2, 2));
    const auto xn = from_data.train_inputs();
    CHECK(xn.min().item<double>() == Approx(0.0).margin(1e-12));
    CHECK(xn.max().item<double>() == Approx(1.0));
  }
}

TEST_CASE("m objectives batched in one GP equal m separate GPs", "[mobo][gp]") {
  torch::manual_seed(4);
  const auto x = inputs_2d(12);
  const auto y = two_objectives(x);
  gp joint(x, y, matern(2, 2));
  gp first(x, y.narrow(1, 0, 1), matern(2, 1));
  gp second(x, y.narrow(1, 1, 1), matern(2, 1));
  torch::NoGradGuard no_grad;
  const auto xt = inputs_2d(5);
  const auto pj = joint.posterior(xt);
  CHECK(torch::allclose(pj.mean[0], first.posterior(xt).mean[0], 1e-10, 1e-10));
  CHECK(torch::allclose(pj.covariance[1], second.posterior(xt).covariance[0], 1e-10, 1e-10));
  CHECK(torch::allclose(
      joint.log_marginal_likelihood(),
      torch::cat({first.log_marginal_likelihood(), second.log_marginal_likelihood()}), 1e-10,
      1e-10));

  SECTION("an unbatched kernel shares its hyperparameters across the objectives") {
    gp shared(x, y,
              scaled_matern(matern52_kernel({.ard_num_dims = 2, .initial_lengthscale = 0.3})));
    const auto ps = shared.posterior(xt);
    REQUIRE(ps.mean.sizes() == torch::IntArrayRef({2, 5}));
    REQUIRE(ps.covariance.sizes() == torch::IntArrayRef({2, 5, 5}));
    CHECK(torch::allclose(ps.mean, pj.mean, 1e-10, 1e-10));  // same initial values as joint
    CHECK(shared.posterior(xt.view({5, 1, 2})).mean.sizes() == torch::IntArrayRef({5, 2, 1}));
  }
  SECTION("batched queries [b, q, d] give [b, m, q] and agree with single queries") {
    const auto xb = inputs_2d(12).view({4, 3, 2});
    const auto pb = joint.posterior(xb);
    REQUIRE(pb.mean.sizes() == torch::IntArrayRef({4, 2, 3}));
    REQUIRE(pb.covariance.sizes() == torch::IntArrayRef({4, 2, 3, 3}));
    const auto p2 = joint.posterior(xb[2]);
    CHECK(torch::allclose(pb.mean[2], p2.mean, 1e-10, 1e-10));
    CHECK(torch::allclose(pb.covariance[2], p2.covariance, 1e-10, 1e-10));
  }
}

TEST_CASE("the MAP fit increases the marginal likelihood", "[mobo][gp]") {
  torch::manual_seed(5);
  const auto x = inputs_2d(20);
  const auto y = two_objectives(x) + 0.01 * torch::randn({20, 2}, torch::kFloat64);
  gp model(x, y, botorch_rbf(2, 2));
  const auto before = model.log_marginal_likelihood().sum().item<double>();
  const auto result = model.fit();
  const auto after = model.log_marginal_likelihood().sum().item<double>();
  CHECK(after > before + 1.0);
  CHECK(result.final_loss < result.initial_loss);
  CHECK(result.failed_starts == 0);
  CHECK(model.loss().item<double>() == Approx(result.final_loss).epsilon(1e-9));
  for (const auto& h : model.hyperparameters()) CHECK_FALSE(h.raw.requires_grad());
  CHECK((model.noise() >= 1e-4).all().item<bool>());

  SECTION("restarts never end worse than the first start") {
    gp_options o;
    o.restarts = 2;
    gp restarted(x, y, botorch_rbf(2, 2), o);
    const auto r = restarted.fit();
    CHECK(r.final_loss <= result.final_loss + 1e-6);
  }
  SECTION("the Gamma prior set with a scaled Matern fits too") {
    const auto p = prior_set::gamma();
    gp_options o;
    o.noise_prior = p.noise;
    o.initial_noise = p.initial_noise;
    gp g(x, y,
         scaled_matern(matern52_kernel({.ard_num_dims = 2,
                                        .batch_shape = {2},
                                        .lengthscale_prior = p.lengthscale,
                                        .initial_lengthscale = p.initial_lengthscale}),
                       {.batch_shape = {2},
                        .outputscale_prior = p.outputscale,
                        .initial_outputscale = p.initial_outputscale}),
         o);
    const auto r = g.fit();
    CHECK(r.final_loss < r.initial_loss);
  }
}

TEST_CASE("a fit on a 1-D sine recovers a sensible lengthscale and noise", "[mobo][gp]") {
  torch::manual_seed(6);
  const auto x = torch::rand({30, 1}, torch::kFloat64);
  const auto y = torch::sin(2 * M_PI * x) + 0.05 * torch::randn({30, 1}, torch::kFloat64);
  gp model(x, y, botorch_rbf(1, 1));
  model.fit();
  // One period over [0, 1]: an RBF fits sin(2 pi x) with a lengthscale of about 0.2 (in
  // normalised units, so the data's span is 1).
  const double ls = model.kernel().lengthscale().item<double>();
  CHECK(ls > 0.1);
  CHECK(ls < 0.5);
  // Noise 0.05^2 in a unit-variance signal of standard deviation ~0.7: about 5e-3 standardised.
  const double noise = model.noise().item<double>();
  CHECK(noise < 0.03);
  torch::NoGradGuard no_grad;
  const auto xt = linspace_column(0.1, 0.9, 9);
  const auto p = model.posterior(xt);
  CHECK(max_abs(p.mean[0] - torch::sin(2 * M_PI * xt).squeeze(-1)) < 0.1);
}

TEST_CASE("duplicated inputs without noise are handled by jitter", "[mobo][gp]") {
  const auto x = torch::tensor({{0.1}, {0.1}, {0.5}, {0.5}, {0.9}}, torch::kFloat64);
  const auto y = torch::tensor({{1.0}, {1.0}, {0.0}, {0.0}, {2.0}}, torch::kFloat64);
  gp_options o;
  o.train_yvar = torch::tensor(0.0, torch::kFloat64);
  gp model(x, y, matern(1, 1), o);
  torch::NoGradGuard no_grad;
  const auto p = model.posterior(x);
  CHECK(torch::isfinite(p.mean).all().item<bool>());
  CHECK(max_abs(p.mean[0] - y.squeeze(-1)) < 1e-2);

  SECTION("an impossible covariance (NaN hyperparameters) gives the clear error") {
    gp bad(x, y, matern(1, 1), o);
    bad.kernel().hyperparameters()[0].raw.fill_(std::nan(""));
    CHECK_THROWS_WITH(bad.log_marginal_likelihood(), Catch::Contains("NaN"));
  }
  SECTION("malformed training data is reported with shapes") {
    CHECK_THROWS_WITH(gp(x.squeeze(-1), y, matern(1, 1)), Catch::Contains("train_x"));
    CHECK_THROWS_WITH(gp(x, y.narrow(0, 0, 3), matern(1, 1)), Catch::Contains("train_y"));
    CHECK_THROWS_WITH(model.posterior(torch::rand({3, 2}, torch::kFloat64)),
                      Catch::Contains("expected [n, 1]"));
  }
}

TEST_CASE("rsample is differentiable and its moments converge to the posterior's", "[mobo][gp]") {
  torch::manual_seed(8);
  const auto x = inputs_2d(10);
  const auto y = two_objectives(x);
  gp model(x, y, matern(2, 2, 0.5));
  const auto xt = inputs_2d(4);
  const auto post = model.posterior(xt);
  const std::int64_t s = 40000;
  const auto z = torch::randn({s, 4, 2}, torch::kFloat64);
  const auto samples = rsample(post, z);
  REQUIRE(samples.sizes() == torch::IntArrayRef({s, 4, 2}));
  const auto mean = samples.mean(0).t();  // [m, n]
  const auto centred = samples - samples.mean(0);
  const auto cov = torch::einsum("sim,sjm->mij", {centred, centred}) / (s - 1);
  const auto sd = post.variance().sqrt();
  CHECK(max_abs((mean - post.mean) / sd) < 0.03);
  CHECK(max_abs((cov - post.covariance) / (sd.unsqueeze(-1) * sd.unsqueeze(-2))) < 0.03);

  SECTION("samples are differentiable in X and match finite differences") {
    const auto zf = torch::randn({3, 4, 2}, torch::kFloat64);
    auto xv = xt.clone().requires_grad_(true);
    rsample(model.posterior(xv), zf).sum().backward();
    const auto grad = xv.grad();
    REQUIRE(grad.defined());
    CHECK(max_abs(grad) > 0.0);
    torch::NoGradGuard no_grad;
    const double h = 1e-6;
    for (std::int64_t i = 0; i < 4; ++i) {
      for (std::int64_t j = 0; j < 2; ++j) {
        auto up = xt.clone(), down = xt.clone();
        up[i][j] += h;
        down[i][j] -= h;
        const double fd = (rsample(model.posterior(up), zf).sum().item<double>() -
                           rsample(model.posterior(down), zf).sum().item<double>()) /
                          (2 * h);
        CHECK(grad[i][j].item<double>() == Approx(fd).epsilon(1e-4).margin(1e-6));
      }
    }
  }
  SECTION("base samples of the wrong shape are rejected") {
    CHECK_THROWS_AS(rsample(post, torch::randn({5, 2, 4}, torch::kFloat64)), autopeft::error);
  }
}

TEST_CASE("NUTS samples a correlated Gaussian", "[mobo][gp][nuts]") {
  const single_threaded guard;
  const auto mu = torch::tensor({1.0, -2.0}, torch::kFloat64);
  const auto sigma = torch::tensor({{2.0, 1.2}, {1.2, 1.0}}, torch::kFloat64);
  const auto precision = torch::linalg_inv(sigma);
  nuts sampler({.warmup = 300, .num_samples = 2000, .thinning = 1, .seed = 11});
  const auto result = sampler.run(
      [&](const torch::Tensor& theta, torch::Tensor& grad) {
        auto t = theta.detach().requires_grad_(true);
        const auto d = t - mu;
        const auto lp = -0.5 * d.dot(precision.mv(d));
        grad = torch::autograd::grad({lp}, {t})[0];
        return lp.item<double>();
      },
      torch::zeros({2}, torch::kFloat64));
  REQUIRE(result.samples.sizes() == torch::IntArrayRef({2000, 2}));
  const auto mean = result.samples.mean(0);
  const auto c = result.samples - mean;
  const auto cov = c.t().matmul(c) / 1999.0;
  CHECK(max_abs(mean - mu) < 0.15);
  CHECK(max_abs(cov - sigma) < 0.25);
  CHECK(result.mean_accept_prob > 0.6);
  CHECK(result.mean_accept_prob < 0.97);
  CHECK(result.divergences == 0);
  // The adapted diagonal inverse mass tracks the marginal variances (2 and 1).
  CHECK(result.inverse_mass[0].item<double>() > result.inverse_mass[1].item<double>());
}

TEST_CASE("NUTS thins, and rejects a start outside the support", "[mobo][gp][nuts]") {
  nuts thin({.warmup = 50, .num_samples = 10, .thinning = 4, .seed = 1});
  const auto r = thin.run(
      [](const torch::Tensor& theta, torch::Tensor& grad) {
        grad = -theta;
        return -0.5 * theta.dot(theta).item<double>();
      },
      torch::zeros({3}, torch::kFloat64));
  CHECK(r.samples.size(0) == 3);  // draws 0, 4 and 8 of 10

  nuts s({.warmup = 10, .num_samples = 10});
  CHECK_THROWS_WITH(s.run(
                        [](const torch::Tensor&, torch::Tensor& grad) {
                          grad = torch::zeros({1}, torch::kFloat64);
                          return -std::numeric_limits<double>::infinity();
                        },
                        torch::zeros({1}, torch::kFloat64)),
                    Catch::Contains("initial point"));
}

namespace {
// 10-D inputs in [0, 1]^10; the function depends on dimensions 2 and 7 only.
struct sparse_problem {
  torch::Tensor x, y;
  static constexpr std::int64_t relevant_a = 2, relevant_b = 7;
  explicit sparse_problem(std::int64_t n) {
    torch::manual_seed(9);
    x = torch::rand({n, 10}, torch::kFloat64);
    const auto a = x.select(-1, relevant_a), b = x.select(-1, relevant_b);
    y = (torch::sin(6.0 * a) + 2.0 * (b - 0.5).pow(2) * 4.0).unsqueeze(-1);
  }
  // Shortest irrelevant lengthscale over longest relevant one, per row of ls [..., 10].
  static double separation(const torch::Tensor& ls) {
    const auto relevant = torch::stack({ls.select(-1, relevant_a), ls.select(-1, relevant_b)}, -1);
    auto mask = torch::ones({10}, torch::kBool);
    mask[relevant_a] = false;
    mask[relevant_b] = false;
    const auto irrelevant = ls.index({torch::indexing::Ellipsis, mask});
    return std::get<0>(irrelevant.min(-1)).min().item<double>() /
           std::get<0>(relevant.max(-1)).max().item<double>();
  }
};
}  // namespace

TEST_CASE("SAAS finds the two relevant dimensions of a 10-D function", "[mobo][gp][saas]") {
  const single_threaded guard;
  const sparse_problem p(30);

  SECTION("MAP") {
    saas_gp model(p.x, p.y);
    model.fit();
    const auto ls = model.lengthscale();  // [1, 10]
    REQUIRE(ls.sizes() == torch::IntArrayRef({1, 10}));
    INFO("lengthscales " << ls);
    CHECK(sparse_problem::separation(ls) > 10.0);
  }

  SECTION("fully Bayesian, NUTS") {
    auto o = fully_bayesian_saas_gp::default_options();
    o.nuts.warmup = 64;
    o.nuts.num_samples = 32;
    o.nuts.thinning = 8;
    o.nuts.seed = 3;
    fully_bayesian_saas_gp model(p.x, p.y, o);
    CHECK_THROWS_WITH(model.posterior(p.x), Catch::Contains("call fit() first"));
    const auto t0 = std::chrono::steady_clock::now();
    model.fit();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    INFO("NUTS fit took " << seconds << " s, " << model.diagnostics()[0].gradient_evaluations
                          << " gradient evaluations");
    const auto ls = model.lengthscale();  // [s, 1, 10]
    REQUIRE(ls.sizes() == torch::IntArrayRef({4, 1, 10}));
    INFO("lengthscales " << ls);
    // Median over the samples, as a robust summary of the posterior (a short chain: the margin
    // is smaller than MAP's, which drives irrelevant lengthscales to ~1e6).
    CHECK(sparse_problem::separation(std::get<0>(ls.median(0))) > 5.0);
    // Wall time depends on the machine's load; the number of gradient evaluations does not
    // (about 1 ms each for n = 30 on one core).
    CHECK(model.diagnostics()[0].gradient_evaluations < 6000);

    // The mixture posterior: one GP per sample, shapes [s, m, n(, n)], and samples from each.
    torch::NoGradGuard no_grad;
    const auto xt = torch::rand({5, 10}, torch::kFloat64);
    const auto post = model.posterior(xt);
    REQUIRE(post.mean.sizes() == torch::IntArrayRef({4, 1, 5}));
    REQUIRE(post.covariance.sizes() == torch::IntArrayRef({4, 1, 5, 5}));
    const auto draws = rsample(post, torch::randn({7, 5, 1}, torch::kFloat64));
    CHECK(draws.sizes() == torch::IntArrayRef({7, 4, 5, 1}));
    const auto batched = model.posterior(xt.view({5, 1, 10}));
    CHECK(batched.mean.sizes() == torch::IntArrayRef({5, 4, 1, 1}));
    // The model's mixture mean predicts the function.
    const auto truth = (torch::sin(6.0 * xt.select(-1, 2)) + 8.0 * (xt.select(-1, 7) - 0.5).pow(2));
    CHECK(max_abs(post.mean.mean(0)[0] - truth) < 0.5);
  }
}

TEST_CASE("gp conditional on a cached baseline equals the joint posterior's block Cholesky",
          "[mobo][gp]") {
  torch::manual_seed(3);
  const auto x = inputs_2d(12);
  gp model(x, two_objectives(x), matern(2, 2));
  model.fit();
  const auto cand = inputs_2d(5 * 3).view({5, 3, 2});  // b = 5, q = 3
  // The training inputs followed by pending points (qNEHVI's baseline), and an unrelated set.
  const auto with_train = torch::cat({x, inputs_2d(3)});
  const auto unrelated = torch::cat({x.narrow(0, 2, 6), inputs_2d(3)});
  for (const auto& xb : {with_train, unrelated}) {
    const auto nb = xb.size(0);
    const auto cache = model.make_baseline_cache(xb);
    CHECK(cache.contains_train == (nb == 15));
    const auto c = model.conditional_on_baseline(cache, cand);
    const auto base = model.posterior(xb);
    const auto joint =
        model.posterior(torch::cat({xb.unsqueeze(0).expand({5, nb, 2}), cand}, 1));
    const auto s11 = joint.covariance.narrow(-2, 0, nb).narrow(-1, 0, nb);
    const auto s21 = joint.covariance.narrow(-2, nb, 3).narrow(-1, 0, nb);
    const auto s22 = joint.covariance.narrow(-2, nb, 3).narrow(-1, nb, 3);
    const auto scale = max_abs(s11);
    CHECK(max_abs(cache.mean - base.mean) < 1e-8);
    CHECK(max_abs(cache.l11.matmul(cache.l11.transpose(-1, -2)) - base.covariance) < 1e-6 * scale);
    CHECK(max_abs(c.mean - joint.mean.narrow(-1, nb, 3)) < 1e-8);
    // L21 L11^T = S21 and S22 - L21 L21^T is the conditional covariance.
    CHECK(max_abs(c.l21.matmul(cache.l11.transpose(-1, -2)) - s21) < 1e-6 * scale);
    CHECK(max_abs(c.covariance - (s22 - c.l21.matmul(c.l21.transpose(-1, -2)))) < 1e-6 * scale);
    // Not trivially zero: the candidates co-vary with the baseline.
    CHECK(max_abs(c.l21) > 1e-3);
  }
}
