// Plugging one's own kernel, surrogate, acquisition and optimiser into mobo::ask_tell, the
// recipes of docs/ARCHITECTURE.md ("Add a kernel", "Add a surrogate, an acquisition or an
// optimiser"):
//   - the kernel is a type with k(x1, x2), hyperparameters() and log_prior() (the `kernel`
//     concept) and a constructor from ard_options, so that gp<K> builds and fits it;
//   - the surrogate is a type with posterior(X) (the `surrogate` concept of mobo/concepts.hpp)
//     and static from_data(surrogate_data), which ask_tell calls to fit it at every ask;
//   - the acquisition policy is a value called as policy(model, acquisition_context) that
//     returns an `acquisition` (X [b, q, d] -> [b], maximised);
//   - the optimiser policy is a value called as policy(optimizer_context, make, q).
// On a 5 x 5 lattice in [0, 1]^2 with two objectives to maximise, a few ask/tell rounds check
// that each ask fits the user's surrogate once, builds the user's acquisition once, and returns
// exactly the untold point that acquisition scores best under that surrogate. The user's
// Laplace kernel equals the library's Matern-1/2 formula, and ask_tell<gp<laplace_kernel>> asks
// the points ask_tell<gp<matern12_kernel>> asks.
//   mobo_plugins [rounds]
#include <autopeft/mobo/ask_tell.hpp>
#include <autopeft/mobo/kernel/ard_options.hpp>
#include <autopeft/mobo/kernel/matern_kernel.hpp>
#include <autopeft/mobo/model/multivariate_normal.hpp>
#include <autopeft/mobo/optimizer/exhaustive_search.hpp>
#include <autopeft/mobo/optimizer/lattice.hpp>

#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <tuple>

namespace mobo = autopeft::mobo;

namespace {

int fits = 0;          // from_data calls, counted to show that ask_tell uses this surrogate
int kernel_calls = 0;  // laplace_kernel evaluations, counted to show that gp<laplace_kernel> uses it

/// A kernel: Laplace, k(x, y) = exp(-r) with r the distance scaled by one lengthscale per input
/// dimension (ARD), l = exp(raw) of shape [*B, 1, d]. gp<K>::from_data constructs it from
/// ard_options (one lengthscale set per objective, the dimension-scaled prior and its mode) and
/// fits the raw tensors that hyperparameters() hands out.
class laplace_kernel {
 public:
  explicit laplace_kernel(const mobo::ard_options& o = {})
      : lengthscale_{"lengthscale", mobo::hyperparameter::make_raw(shape_of(o), o.initial_lengthscale)}, prior_(o.lengthscale_prior) {}

  /// x1 [..., n, d], x2 [..., p, d] -> [..., n, p].
  [[nodiscard]] torch::Tensor operator()(const torch::Tensor& x1, const torch::Tensor& x2) const {
    ++kernel_calls;
    const auto l = lengthscale_.value();
    const auto diff = (x1 / l).unsqueeze(-2) - (x2 / l).unsqueeze(-3);  // [..., n, p, d]
    // clamp_min: sqrt has no derivative at 0 (the diagonal); the clamped branch has gradient 0.
    return torch::exp(-diff.pow(2).sum(-1).clamp_min(1e-30).sqrt());
  }
  [[nodiscard]] std::vector<mobo::hyperparameter> hyperparameters() const { return {lengthscale_}; }
  [[nodiscard]] torch::Tensor log_prior() const {
    return prior_ ? prior_.log_prob(lengthscale_.value()).sum() : torch::zeros({}, torch::kFloat64);
  }

 private:
  static std::vector<std::int64_t> shape_of(const mobo::ard_options& o) {
    auto s = o.batch_shape;
    s.insert(s.end(), {1, o.ard_num_dims});
    return s;
  }
  mobo::hyperparameter lengthscale_;
  mobo::any_prior prior_;
};
static_assert(mobo::kernel<laplace_kernel>);

/// A surrogate: each point predicts the outcomes of its nearest told point, with a variance
/// that grows with the squared distance to it.
struct nearest_neighbour_model {
  torch::Tensor X, Y;  // [N, d], [N, m]

  static nearest_neighbour_model from_data(const mobo::surrogate_data& d) {
    ++fits;
    return {d.X, d.Y};
  }

  /// X [..., n, d] -> mean [..., m, n], covariance [..., m, n, n].
  [[nodiscard]] mobo::multivariate_normal posterior(const torch::Tensor& Xq) const {
    const auto d2 = (Xq.unsqueeze(-2) - X).pow(2).sum(-1);  // [..., n, N]
    const auto [nearest_d2, nearest] = d2.min(-1);          // [..., n]
    auto shape = nearest.sizes().vec();
    shape.push_back(Y.size(1));
    const auto mean = Y.index_select(0, nearest.flatten()).view(shape).movedim(-1, -2);  // [..., m, n]
    const auto variance = (nearest_d2 + 1e-9).unsqueeze(-2).expand_as(mean);
    return {mean, torch::diag_embed(variance)};
  }
};
static_assert(mobo::surrogate<nearest_neighbour_model>);

/// An acquisition: the best point of each batch by the sum over objectives of mean + standard
/// deviation (an optimistic scalarisation).
template <class Model>
struct optimistic_sum {
  Model model;
  [[nodiscard]] torch::Tensor operator()(const torch::Tensor& X) const {  // [b, q, d] -> [b]
    const auto p = model.posterior(X);
    const auto upper = p.mean + p.covariance.diagonal(0, -2, -1).sqrt();  // [b, m, q]
    return std::get<0>(upper.sum(-2).max(-1));
  }
};

/// Its policy: a value, so it may carry state (here a counter of the acquisitions it built).
struct optimistic_sum_policy {
  int* built = nullptr;
  template <mobo::surrogate M>
  [[nodiscard]] optimistic_sum<M> operator()(const M& model, const mobo::acquisition_context&) const {
    ++*built;
    return {model};
  }
};

/// An optimiser: every point of the lattice (told, pending and excluded ones left out).
struct every_point {
  torch::Tensor points;  // [N, d] in [0, 1]^d
  template <class Make>
  [[nodiscard]] torch::Tensor operator()(const mobo::optimizer_context& c, Make&& make, std::int64_t q) const {
    return mobo::sequential_greedy(mobo::exhaustive_search(points, {.avoid = c.avoid}), make, q);
  }
};

/// The toy problem, both objectives maximised: a trade-off along x0, a ripple along x1.
torch::Tensor evaluate(const torch::Tensor& X) {
  const auto x0 = X.select(1, 0), x1 = X.select(1, 1);
  return torch::stack({x0 + 0.3 * x1, 1.0 - x0.pow(2) + 0.2 * torch::sin(3.0 * x1)}, 1);
}

/// The kernel recipe's checks: the formula against the library's Matern-1/2, then a study with
/// each kernel from the same seed, which must ask the same points. Returns the failures.
int check_kernel(const mobo::lattice& grid, const torch::Tensor& unit, int rounds) {
  int failures = 0;
  const auto x = torch::rand({7, 2}, torch::kFloat64);
  const mobo::ard_options o{.ard_num_dims = 2, .batch_shape = {2}, .initial_lengthscale = 0.3};
  if (!torch::allclose(laplace_kernel(o)(x, x), mobo::matern12_kernel(o)(x, x), 1e-12, 1e-12)) {
    std::printf("FAILED: laplace_kernel differs from matern12_kernel\n");
    ++failures;
  }
  auto study = [&]<class Kernel>(Kernel) {
    mobo::ask_tell<mobo::gp<Kernel>> opt(unit, 2, torch::tensor({0.0, 0.0}, torch::kFloat64), mobo::discrete_space::of(grid),
                                        {.initial_points = 4, .mc_samples = 64, .seed = 3});
    std::vector<torch::Tensor> asked;
    for (int r = 0; r <= rounds; ++r) {
      auto X = opt.ask(r == 0 ? 4 : 1);
      opt.tell(X, evaluate(X));
      asked.push_back(X);
    }
    return torch::cat(asked);
  };
  const int calls_before = kernel_calls;
  const auto mine = study(laplace_kernel{});
  const auto library = study(mobo::matern12_kernel{});
  std::printf("kernel: gp<laplace_kernel> made %d kernel calls and asked %s points as gp<matern12_kernel>\n", kernel_calls - calls_before,
              torch::equal(mine, library) ? "the same" : "OTHER");
  if (kernel_calls == calls_before || !torch::equal(mine, library)) ++failures;
  return failures;
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 5;
  const mobo::lattice grid({{0.0, 0.25, 0.5, 0.75, 1.0}, {0.0, 0.25, 0.5, 0.75, 1.0}});
  const auto points = grid.enumerate();
  const auto unit = torch::stack({torch::zeros({2}), torch::ones({2})}).to(torch::kFloat64);
  int failures = check_kernel(grid, unit, rounds);
  int built = 0;
  mobo::ask_tell<nearest_neighbour_model, optimistic_sum_policy, every_point> opt(
      unit, 2, torch::tensor({0.0, 0.0}, torch::kFloat64), mobo::discrete_space::of(grid),
      {.initial_points = 4, .seed = 1}, optimistic_sum_policy{&built}, every_point{points});
  auto X = opt.ask(4);
  opt.tell(X, evaluate(X));

  for (int r = 1; r <= rounds; ++r) {
    // What the plug-ins choose, computed here by brute force over the untold lattice points.
    const auto scores = optimistic_sum<nearest_neighbour_model>{{opt.X(), opt.Y()}}(points.unsqueeze(1));
    const auto told = (points.unsqueeze(1) - opt.X().unsqueeze(0)).abs().amax(-1).le(1e-9).any(-1);
    const auto expected = points[scores.masked_fill(told, -1e300).argmax().item<std::int64_t>()];

    const int fits_before = fits, built_before = built;
    X = opt.ask(1);
    const bool same = torch::equal(X[0], expected);
    std::printf("round %d: asked (%.2f, %.2f), the plug-ins' choice (%.2f, %.2f); fits %d, acquisitions %d\n", r,
                X[0][0].item<double>(), X[0][1].item<double>(), expected[0].item<double>(),
                expected[1].item<double>(), fits - fits_before, built - built_before);
    if (!same || fits - fits_before != 1 || built - built_before != 1) ++failures;
    opt.tell(X, evaluate(X));
  }
  std::printf("%lld points told, hypervolume %.4f\n", static_cast<long long>(opt.num_told()), opt.hypervolume());
  if (failures > 0) std::printf("FAILED: %d round(s) did not use the plug-ins\n", failures);
  return failures == 0 ? 0 : 1;
}
