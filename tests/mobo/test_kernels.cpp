// Laws every kernel must obey (symmetry, PSD, autograd gradients equal to finite differences),
// known values, the priors, and which types model the concepts.
#include <autopeft/mobo/concepts.hpp>
#include <autopeft/mobo/kernel.hpp>
#include <autopeft/mobo/prior.hpp>

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

using namespace autopeft::mobo;

namespace {

constexpr std::int64_t kDims = 4;
using batch_t = std::vector<std::int64_t>;

torch::Tensor continuous_inputs(std::int64_t n, std::int64_t d) {
  return torch::rand({n, d}, torch::kFloat64);
}
torch::Tensor binary_inputs(std::int64_t n, std::int64_t d) {
  return torch::randint(0, 2, {n, d}, torch::kFloat64);
}

// How the generic laws build each kernel type, which inputs it takes, and in which input
// dimensions it is differentiable.
template <class K>
struct kernel_case;

template <int TwoNu>
struct kernel_case<matern_kernel<TwoNu>> {
  static matern_kernel<TwoNu> make(const batch_t& b) {
    return matern_kernel<TwoNu>({.ard_num_dims = kDims, .batch_shape = b});
  }
  static torch::Tensor inputs(std::int64_t n) { return continuous_inputs(n, kDims); }
  static std::vector<std::int64_t> smooth_dims() { return {0, 1, 2, 3}; }
};
template <>
struct kernel_case<rbf_kernel> {
  static rbf_kernel make(const batch_t& b) {
    return rbf_kernel({.ard_num_dims = kDims, .batch_shape = b});
  }
  static torch::Tensor inputs(std::int64_t n) { return continuous_inputs(n, kDims); }
  static std::vector<std::int64_t> smooth_dims() { return {0, 1, 2, 3}; }
};
template <>
struct kernel_case<hamming_kernel> {
  static hamming_kernel make(const batch_t& b) {
    return hamming_kernel({.ard_num_dims = kDims, .batch_shape = b});
  }
  static torch::Tensor inputs(std::int64_t n) { return binary_inputs(n, kDims); }
  static std::vector<std::int64_t> smooth_dims() { return {}; }
};
template <>
struct kernel_case<transformed_overlap_kernel> {
  static transformed_overlap_kernel make(const batch_t& b) {
    return transformed_overlap_kernel({.ard_num_dims = kDims, .batch_shape = b});
  }
  static torch::Tensor inputs(std::int64_t n) { return binary_inputs(n, kDims); }
  static std::vector<std::int64_t> smooth_dims() { return {}; }
};
template <>
struct kernel_case<linear_kernel> {
  static linear_kernel make(const batch_t& b) { return linear_kernel({.batch_shape = b}); }
  static torch::Tensor inputs(std::int64_t n) { return continuous_inputs(n, kDims) - 0.5; }
  static std::vector<std::int64_t> smooth_dims() { return {0, 1, 2, 3}; }
};
template <class Base>
struct kernel_case<scale_kernel<Base>> {
  static scale_kernel<Base> make(const batch_t& b) {
    return scale_kernel<Base>(kernel_case<Base>::make(b), {.batch_shape = b});
  }
  static torch::Tensor inputs(std::int64_t n) { return kernel_case<Base>::inputs(n); }
  static std::vector<std::int64_t> smooth_dims() { return kernel_case<Base>::smooth_dims(); }
};
template <>
struct kernel_case<saas_kernel<matern52_kernel>> {
  static saas_kernel<matern52_kernel> make(const batch_t& b) {
    return saas_kernel<matern52_kernel>({.ard_num_dims = kDims, .batch_shape = b});
  }
  static torch::Tensor inputs(std::int64_t n) { return continuous_inputs(n, kDims); }
  static std::vector<std::int64_t> smooth_dims() { return {0, 1, 2, 3}; }
};
template <>
struct kernel_case<sum_kernel<rbf_kernel, linear_kernel>> {
  static sum_kernel<rbf_kernel, linear_kernel> make(const batch_t& b) {
    return sum_kernel<rbf_kernel, linear_kernel>(kernel_case<rbf_kernel>::make(b),
                                                 kernel_case<linear_kernel>::make(b));
  }
  static torch::Tensor inputs(std::int64_t n) { return continuous_inputs(n, kDims); }
  static std::vector<std::int64_t> smooth_dims() { return {0, 1, 2, 3}; }
};
// Continuous dims 0 and 1, binary dims 2 and 3.
torch::Tensor mixed_inputs(std::int64_t n) {
  return torch::cat({continuous_inputs(n, 2), binary_inputs(n, 2)}, -1);
}
template <>
struct kernel_case<product_kernel<matern32_kernel, hamming_kernel>> {
  static product_kernel<matern32_kernel, hamming_kernel> make(const batch_t& b) {
    return product_kernel<matern32_kernel, hamming_kernel>(kernel_case<matern32_kernel>::make(b),
                                                           kernel_case<hamming_kernel>::make(b));
  }
  static torch::Tensor inputs(std::int64_t n) { return binary_inputs(n, kDims); }
  static std::vector<std::int64_t> smooth_dims() { return {}; }
};
template <>
struct kernel_case<mixed_kernel<matern52_kernel, transformed_overlap_kernel>> {
  static mixed_kernel<matern52_kernel, transformed_overlap_kernel> make(const batch_t& b) {
    return {matern52_kernel({.ard_num_dims = 2, .batch_shape = b}),
            transformed_overlap_kernel({.ard_num_dims = 2, .batch_shape = b}),
            {.continuous_dims = {0, 1}, .categorical_dims = {2, 3}, .batch_shape = b}};
  }
  static torch::Tensor inputs(std::int64_t n) { return mixed_inputs(n); }
  static std::vector<std::int64_t> smooth_dims() { return {0, 1}; }
};

using scaled_matern12 = scale_kernel<matern12_kernel>;
using saas_matern52 = saas_kernel<matern52_kernel>;
using rbf_plus_linear = sum_kernel<rbf_kernel, linear_kernel>;
using matern_times_hamming = product_kernel<matern32_kernel, hamming_kernel>;
using cocabo = mixed_kernel<matern52_kernel, transformed_overlap_kernel>;

// Move every raw hyperparameter away from its (often symmetric) initial value.
void randomise(const std::vector<hyperparameter>& hps) {
  torch::NoGradGuard no_grad;
  for (const auto& h : hps) h.raw.add_(0.4 * torch::randn(h.raw.sizes(), torch::kFloat64));
}

// Central finite differences of f at t, element by element (t is modified and restored).
template <class F>
torch::Tensor finite_difference(const torch::Tensor& t, F&& f, double h = 1e-6) {
  torch::NoGradGuard no_grad;
  auto g = torch::zeros_like(t);
  auto flat = t.view({-1});
  auto gflat = g.view({-1});
  for (std::int64_t i = 0; i < flat.numel(); ++i) {
    const double v = flat[i].item<double>();
    flat[i] = v + h;
    const double up = f();
    flat[i] = v - h;
    const double down = f();
    flat[i] = v;
    gflat[i] = (up - down) / (2 * h);
  }
  return g;
}

void set_value(const hyperparameter& h, const torch::Tensor& value) {
  torch::NoGradGuard no_grad;
  if (h.kind == constraint::positive)
    h.raw.copy_(torch::log(value - h.lower_bound).expand_as(h.raw));
  else
    h.raw.copy_(torch::log(value / (1 - value)).expand_as(h.raw));
}
void set_value(const hyperparameter& h, double value) {
  set_value(h, torch::tensor(value, torch::kFloat64));
}
const hyperparameter& find(const std::vector<hyperparameter>& hps, const std::string& name) {
  for (const auto& h : hps)
    if (h.name == name) return h;
  FAIL("no hyperparameter named " << name);
  return hps.front();
}
torch::Tensor row(std::initializer_list<double> v) {
  return torch::tensor(std::vector<double>(v), torch::kFloat64).unsqueeze(0);
}

}  // namespace

// --- concepts ------------------------------------------------------------------------------

static_assert(kernel<rbf_kernel>);
static_assert(kernel<matern52_kernel>);
static_assert(kernel<hamming_kernel>);
static_assert(kernel<transformed_overlap_kernel>);
static_assert(kernel<linear_kernel>);
static_assert(kernel<scale_kernel<rbf_kernel>>);
static_assert(kernel<sum_kernel<rbf_kernel, linear_kernel, hamming_kernel>>);
static_assert(kernel<product_kernel<rbf_kernel, hamming_kernel>>);
static_assert(kernel<mixed_kernel<rbf_kernel, hamming_kernel>>);
static_assert(kernel<saas_kernel<rbf_kernel>>);
static_assert(!kernel<int>);
static_assert(!kernel<torch::Tensor>);
static_assert(!kernel<gamma_prior>);  // a prior is not a kernel
static_assert(!kernel<hyperparameter>);
static_assert(prior<log_normal_prior>);
static_assert(prior<gamma_prior>);
static_assert(prior<half_cauchy_prior>);
static_assert(prior<any_prior>);
static_assert(!prior<rbf_kernel>);  // a kernel is not a prior
static_assert(!prior<double>);

// --- generic laws --------------------------------------------------------------------------

TEMPLATE_TEST_CASE(
    "every kernel is symmetric, PSD and has autograd gradients equal to finite "
    "differences",
    "[mobo][kernel]", rbf_kernel, matern12_kernel, matern32_kernel, matern52_kernel, hamming_kernel,
    transformed_overlap_kernel, linear_kernel, scaled_matern12, saas_matern52, rbf_plus_linear,
    matern_times_hamming, cocabo) {
  using kc = kernel_case<TestType>;
  torch::manual_seed(7);
  const batch_t batch{2};
  const auto k = kc::make(batch);
  randomise(k.hyperparameters());
  const auto x = kc::inputs(12);
  const auto y = kc::inputs(5);

  SECTION("hyperparameters are named, unique leaves with gradients, batched like the kernel") {
    std::set<std::string> names;
    for (const auto& h : k.hyperparameters()) {
      CHECK(h.raw.requires_grad());
      CHECK(h.raw.is_leaf());
      CHECK(h.raw.size(0) == 2);
      names.insert(h.name);
    }
    CHECK(names.size() == k.hyperparameters().size());
    const auto lp = k.log_prior();
    CHECK(lp.dim() == 0);
    CHECK(std::isfinite(lp.template item<double>()));
  }

  SECTION("K(X, X) is symmetric and positive semi-definite, K(X, Y) = K(Y, X)^T") {
    torch::NoGradGuard no_grad;
    const auto kxx = k(x, x);
    REQUIRE(kxx.sizes() == torch::IntArrayRef({2, 12, 12}));
    CHECK((kxx - kxx.transpose(-1, -2)).abs().max().template item<double>() < 1e-12);
    const auto eig = torch::linalg_eigvalsh(0.5 * (kxx + kxx.transpose(-1, -2)), "L");
    CHECK(eig.min().template item<double>() >= -1e-8);
    const auto kxy = k(x, y);
    REQUIRE(kxy.sizes() == torch::IntArrayRef({2, 12, 5}));
    CHECK((kxy - k(y, x).transpose(-1, -2)).abs().max().template item<double>() < 1e-12);
    // The exact-diagonal path for one tensor agrees with the general path.
    CHECK((kxx - k(x, x.clone())).abs().max().template item<double>() < 1e-6);
  }

  SECTION("a batched query broadcasts against the kernel's batch") {
    torch::NoGradGuard no_grad;
    const auto xb = torch::stack({x.narrow(0, 0, 3), x.narrow(0, 3, 3), x.narrow(0, 6, 3)});
    const auto kb = k(xb.unsqueeze(-3), x);  // [3, 1, 3, d] -> [3, 2, 3, 12]
    REQUIRE(kb.sizes() == torch::IntArrayRef({3, 2, 3, 12}));
    CHECK((kb[1] - k(x.narrow(0, 3, 3), x)).abs().max().template item<double>() < 1e-12);
  }

  SECTION("gradients with respect to the hyperparameters equal central finite differences") {
    const auto w = torch::randn({2, 12, 5}, torch::kFloat64);
    const auto wxx = torch::randn({2, 12, 12}, torch::kFloat64);
    auto objective = [&] { return (k(x, y) * w).sum() + (k(x, x) * wxx).sum(); };
    for (const auto& h : k.hyperparameters()) {
      if (h.raw.grad().defined()) h.raw.mutable_grad().zero_();
    }
    objective().backward();
    for (const auto& h : k.hyperparameters()) {
      INFO("hyperparameter " << h.name);
      const auto fd = finite_difference(h.raw, [&] { return objective().template item<double>(); });
      const auto ad = h.raw.grad();
      REQUIRE(ad.defined());
      CHECK(torch::allclose(ad, fd, 1e-5, 1e-6));
    }
  }

  SECTION("gradients with respect to the inputs equal central finite differences") {
    const auto dims = kc::smooth_dims();
    if (!dims.empty()) {
      for (const auto& h : k.hyperparameters()) h.raw.requires_grad_(false);
      auto xv = x.clone().requires_grad_(true);
      const auto w = torch::randn({2, 12, 5}, torch::kFloat64);
      const auto wxx = torch::randn({2, 12, 12}, torch::kFloat64);
      auto objective = [&](const torch::Tensor& xx) {
        return (k(xx, y) * w).sum() + (k(xx, xx) * wxx).sum();
      };
      objective(xv).backward();
      const auto ad = xv.grad();
      auto xp = x.clone();
      const auto fd = finite_difference(xp, [&] { return objective(xp).template item<double>(); });
      for (auto dim : dims) {
        INFO("input dimension " << dim);
        CHECK(torch::allclose(ad.select(-1, dim), fd.select(-1, dim), 1e-5, 1e-6));
      }
      for (const auto& h : k.hyperparameters()) h.raw.requires_grad_(true);
    }
  }
}

// --- known values --------------------------------------------------------------------------

TEST_CASE("kernel values at known points", "[mobo][kernel]") {
  torch::NoGradGuard no_grad;
  const auto origin = row({0.0, 0.0});

  SECTION("RBF equals exp(-1/2) at a distance of one lengthscale, per ARD dimension") {
    rbf_kernel k({.ard_num_dims = 2});
    set_value(k.hyperparameters()[0], torch::tensor({{0.7, 3.0}}, torch::kFloat64));
    CHECK(k(origin, row({0.7, 0.0})).item<double>() == Approx(std::exp(-0.5)).epsilon(1e-12));
    CHECK(k(origin, row({0.0, 3.0})).item<double>() == Approx(std::exp(-0.5)).epsilon(1e-12));
    CHECK(k(origin, row({0.7, 3.0})).item<double>() == Approx(std::exp(-1.0)).epsilon(1e-12));
    CHECK(k(origin, origin).item<double>() == 1.0);
  }

  SECTION("Matern 1/2, 3/2, 5/2 at scaled distance r = 1.3") {
    // r = 0.65 / 0.5; reference values from the closed forms, computed outside this codebase.
    const auto y = row({0.0, 0.65});
    matern12_kernel k12({.ard_num_dims = 2});
    matern32_kernel k32({.ard_num_dims = 2});
    matern52_kernel k52({.ard_num_dims = 2});
    for (const auto& h :
         {k12.hyperparameters()[0], k32.hyperparameters()[0], k52.hyperparameters()[0]})
      set_value(h, 0.5);
    CHECK(k12(origin, y).item<double>() == Approx(0.2725317930340126).epsilon(1e-12));
    CHECK(k32(origin, y).item<double>() == Approx(0.3421525618424405).epsilon(1e-12));
    CHECK(k52(origin, y).item<double>() == Approx(0.3674120411914809).epsilon(1e-12));
  }

  SECTION("Hamming and transformed overlap count weighted mismatches") {
    const auto x = torch::tensor({{0.0, 1.0, 0.0}}, torch::kFloat64);
    const auto y = torch::tensor({{1.0, 1.0, 1.0}}, torch::kFloat64);
    const auto ls = torch::tensor({{0.5, 2.0, 4.0}}, torch::kFloat64);
    hamming_kernel h({.ard_num_dims = 3});
    transformed_overlap_kernel t({.ard_num_dims = 3});
    set_value(h.hyperparameters()[0], ls);
    set_value(t.hyperparameters()[0], ls);
    CHECK(h(x, y).item<double>() == Approx(std::exp(-2.25)).epsilon(1e-12));
    CHECK(t(x, y).item<double>() == Approx(std::exp(-0.75)).epsilon(1e-12));
    CHECK(h(x, x).item<double>() == 1.0);
    CHECK(t(y, y).item<double>() == 1.0);
  }

  SECTION("linear, scale, sum and product") {
    linear_kernel lin;
    set_value(lin.hyperparameters()[0], 2.0);
    CHECK(lin(row({1.0, 2.0}), row({3.0, -1.0})).item<double>() == Approx(2.0));
    scale_kernel<rbf_kernel> s(rbf_kernel({.ard_num_dims = 2}));
    set_value(find(s.hyperparameters(), "outputscale"), 3.0);
    CHECK(s(origin, row({1.0, 0.0})).item<double>() == Approx(3.0 * std::exp(-0.5)));
    sum_kernel<rbf_kernel, linear_kernel> sum(rbf_kernel({.ard_num_dims = 2}), linear_kernel());
    CHECK(find(sum.hyperparameters(), "k1.variance").raw.defined());
    CHECK(sum(row({1.0, 0.0}), row({1.0, 1.0})).item<double>() == Approx(std::exp(-0.5) + 1.0));
    product_kernel<rbf_kernel, linear_kernel> prod(rbf_kernel({.ard_num_dims = 2}),
                                                   linear_kernel());
    CHECK(prod(row({1.0, 0.0}), row({1.0, 1.0})).item<double>() == Approx(std::exp(-0.5)));
  }

  SECTION("CoCaBO mixture: lambda (kc + kh) + (1 - lambda) kc kh over selected dims") {
    mixed_kernel k(rbf_kernel({.ard_num_dims = 1, .initial_lengthscale = 0.5}),
                   hamming_kernel({.ard_num_dims = 1, .initial_lengthscale = 2.0}),
                   {.continuous_dims = {1}, .categorical_dims = {0}, .initial_lambda = 0.3});
    // z = (category, continuous): one mismatch, distance 0.5 = one lengthscale.
    const auto v = k(row({0.0, 0.2}), row({1.0, 0.7})).item<double>();
    CHECK(v == Approx(0.6214340046475897).epsilon(1e-12));
    CHECK(k.lambda().item<double>() == Approx(0.3));
  }

  SECTION("SAAS lengthscales are (tau rho)^(-1/2)") {
    saas_kernel<matern52_kernel> k({.ard_num_dims = 2});
    set_value(find(k.hyperparameters(), "tau"), 0.25);
    set_value(find(k.hyperparameters(), "inverse_lengthscale_sq"),
              torch::tensor({{4.0, 1.0}}, torch::kFloat64));
    CHECK(torch::allclose(k.lengthscale(), torch::tensor({{1.0, 2.0}}, torch::kFloat64)));
    CHECK(k(origin, row({0.6, 1.6})).item<double>() == Approx(0.5239941088318203).epsilon(1e-12));
  }

  SECTION("bad options are reported with the field") {
    CHECK_THROWS_WITH(rbf_kernel({.ard_num_dims = 0}), Catch::Contains("ard_num_dims"));
    CHECK_THROWS_WITH(linear_kernel({.initial_variance = -1.0}), Catch::Contains("variance"));
    CHECK_THROWS_WITH((mixed_kernel(rbf_kernel(), hamming_kernel(), {.continuous_dims = {0}})),
                      Catch::Contains("categorical_dims"));
  }
}

// --- priors --------------------------------------------------------------------------------

namespace {
// Integral of exp(log_prob) over (0, inf), on a log grid.
double total_mass(const any_prior& p) {
  const auto u = torch::linspace(-40.0, 40.0, 400001, torch::kFloat64);
  const auto x = torch::exp(u);
  return torch::trapz(torch::exp(p.log_prob(x)) * x, u).item<double>();
}
}  // namespace

TEST_CASE("priors are normalised densities with the documented values", "[mobo][kernel][prior]") {
  SECTION("each prior integrates to one") {
    CHECK(total_mass(log_normal_prior{0.3, 1.7}) == Approx(1.0).epsilon(1e-6));
    CHECK(total_mass(gamma_prior{3.0, 6.0}) == Approx(1.0).epsilon(1e-6));
    CHECK(total_mass(gamma_prior{0.9, 10.0}) == Approx(1.0).epsilon(1e-4));
    CHECK(total_mass(half_cauchy_prior{0.1}) == Approx(1.0).epsilon(1e-6));
  }
  SECTION("special cases with textbook values") {
    const auto at = [](double v) { return torch::tensor(v, torch::kFloat64); };
    // Gamma(1, b) is Exponential(b); LogNormal(0, 1) at 1 is the standard normal at 0.
    CHECK(gamma_prior{1.0, 2.0}.log_prob(at(0.3)).item<double>() == Approx(std::log(2.0) - 0.6));
    CHECK(log_normal_prior{0.0, 1.0}.log_prob(at(1.0)).item<double>() ==
          Approx(-0.5 * std::log(2.0 * M_PI)));
    CHECK(half_cauchy_prior{1.0}.log_prob(at(0.0)).item<double>() == Approx(std::log(2.0 / M_PI)));
    CHECK(any_prior{}.log_prob(at(5.0)).item<double>() == 0.0);
    CHECK_FALSE(static_cast<bool>(any_prior{}));
  }
  SECTION("the BoTorch default sets") {
    const auto ls = log_normal_prior::dimension_scaled(15);
    CHECK(ls.loc == Approx(std::sqrt(2.0) + 0.5 * std::log(15.0)));
    CHECK(ls.scale == Approx(std::sqrt(3.0)));
    const auto d = prior_set::dimension_scaled(15);
    CHECK(d.initial_lengthscale == Approx(std::exp(ls.loc - 3.0)));
    CHECK(d.initial_noise == Approx(std::exp(-5.0)));
    CHECK_FALSE(static_cast<bool>(d.outputscale));
    const auto g = prior_set::gamma();
    CHECK(g.initial_lengthscale == Approx(2.0 / 6.0));
    CHECK(g.initial_outputscale == Approx(1.0 / 0.15));
    CHECK(g.initial_noise == Approx(0.1 / 0.05));
    // The mode is where the density peaks.
    const auto x = torch::tensor({0.9, 1.0, 1.1}, torch::kFloat64) * g.initial_lengthscale;
    const auto lp = g.lengthscale.log_prob(x);
    CHECK(lp[1].item<double>() > lp[0].item<double>());
    CHECK(lp[1].item<double>() > lp[2].item<double>());
  }
}
