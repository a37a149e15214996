// Acquisition optimisers and the ask/tell loop: local search against exhaustive search, bounded
// L-BFGS, sequential greedy batches, and the BraninCurrin acceptance run of issue 5.
#include <autopeft/mobo/acquisition.hpp>
#include <autopeft/mobo/ask_tell.hpp>
#include <autopeft/mobo/kernel.hpp>
#include <autopeft/mobo/model.hpp>
#include <autopeft/mobo/optimizer.hpp>
#include <autopeft/mobo/pareto.hpp>
#include <autopeft/mobo/problems.hpp>

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <chrono>
#include <cstdint>
#include <vector>

using namespace autopeft::mobo;

namespace {

static_assert(acquisition_optimizer<local_search>);
static_assert(acquisition_optimizer<exhaustive_search>);
static_assert(acquisition_optimizer<multi_start_lbfgs>);
static_assert(!acquisition_optimizer<random_acquisition>);
static_assert(!acquisition_optimizer<int>);

// A unimodal acquisition on the lattice: -|x - target|^2 per candidate set (best of q).
struct bowl {
  torch::Tensor target;
  torch::Tensor operator()(const torch::Tensor& X) const {
    return std::get<0>((-(X - target).pow(2).sum(-1)).max(-1));
  }
};

// A multimodal one: sum of cosines.
struct wavy {
  torch::Tensor operator()(const torch::Tensor& X) const {
    return std::get<0>((torch::cos(7 * X) * torch::linspace(1, 2, X.size(-1), X.options()))
                           .sum(-1)
                           .max(-1));
  }
};

std::vector<double> grid_values(int k) {
  std::vector<double> v;
  for (int i = 0; i < k; ++i) v.push_back(static_cast<double>(i) / (k - 1));
  return v;
}

}  // namespace

TEST_CASE("lattice neighbours, enumeration and snapping", "[mobo][optimizer]") {
  lattice grid({{0.0, 0.5, 1.0}, {0.0, 1.0}});
  const auto nb = grid.neighbours(torch::tensor({0.5, 0.0}, torch::kFloat64));
  CHECK(nb.size() == 3);  // 0.0 and 1.0 in dim 0, 1.0 in dim 1
  CHECK(grid.enumerate().size(0) == 6);
  CHECK(torch::equal(grid.snap(torch::tensor({0.4, 0.8}, torch::kFloat64)),
                     torch::tensor({0.5, 1.0}, torch::kFloat64)));
  lattice all({{0.0, 0.5, 1.0}}, /*adjacent_only=*/false);
  CHECK(all.neighbours(torch::tensor({0.0}, torch::kFloat64)).size() == 2);
}

TEST_CASE("local search reaches the exhaustive optimum on a small lattice", "[mobo][optimizer]") {
  lattice grid({grid_values(7), grid_values(5), {0.0, 1.0}});
  const auto all = grid.enumerate();
  SECTION("unimodal: from a single start") {
    const bowl acq{torch::tensor({0.66, 0.3, 1.0}, torch::kFloat64)};
    const auto best = exhaustive_search(all)(acq);
    const auto found = local_search(grid, {.starts = all.narrow(0, 0, 1), .num_restarts = 0})(acq);
    CHECK(torch::equal(found, best));
  }
  SECTION("qNEHVI on a GP, started at the Pareto set plus restarts") {
    const auto x = grid.snap(qmc_uniform(10, 3, 2));
    const auto y = torch::stack({torch::sin(3 * x.select(-1, 0)) + x.select(-1, 2),
                                 torch::cos(3 * x.select(-1, 0)) - x.select(-1, 1)},
                                -1);
    gp_options o;
    o.bounds = torch::stack({torch::zeros({3}), torch::ones({3})}).to(torch::kFloat64);
    gp<rbf_kernel> model(x, y, rbf_kernel({.ard_num_dims = 3, .batch_shape = {2}}), o);
    model.fit();
    qnehvi<gp<rbf_kernel>> acq(model, torch::tensor({-1.5, -2.5}, torch::kFloat64), x,
                               {.mc_samples = 64});
    const auto best = exhaustive_search(all, {.avoid = x})(acq);
    const auto starts = x.index({is_non_dominated(y)});
    const auto found =
        local_search(grid, {.starts = starts, .num_restarts = 20, .avoid = x, .seed = 1})(acq);
    torch::NoGradGuard no_grad;
    const double vb = acq(best.unsqueeze(0)).item<double>();
    const double vf = acq(found.unsqueeze(0)).item<double>();
    INFO("exhaustive " << best << " " << vb << "; local " << found << " " << vf);
    CHECK(vf == Approx(vb).epsilon(1e-12));
    CHECK_FALSE(autopeft::mobo::detail::is_row_of(found[0], x));
  }
  SECTION("avoided points are never returned") {
    const bowl acq{torch::tensor({0.0, 0.0, 0.0}, torch::kFloat64)};
    const auto optimum = torch::zeros({1, 3}, torch::kFloat64);
    const auto found = local_search(grid, {.starts = optimum, .num_restarts = 0, .avoid = optimum})(acq);
    CHECK_FALSE(torch::equal(found, optimum));
    CHECK(acq(found.unsqueeze(0)).item<double>() == Approx(-1.0 / 36));
    CHECK_FALSE(torch::equal(exhaustive_search(all, {.avoid = optimum})(acq), optimum));
  }
}

TEST_CASE("multi-start L-BFGS stays in bounds and finds interior optima", "[mobo][optimizer]") {
  const auto bounds = torch::tensor({{0.2, -1.0}, {0.6, 0.5}}, torch::kFloat64);
  SECTION("an optimum outside the box ends on its boundary") {
    const bowl acq{torch::tensor({2.0, -3.0}, torch::kFloat64)};
    const auto x = multi_start_lbfgs(bounds, {.num_restarts = 4, .raw_samples = 64})(acq);
    CHECK(x.sizes() == torch::IntArrayRef{1, 2});
    CHECK(((x >= bounds[0]) & (x <= bounds[1])).all().item<bool>());
    CHECK(x[0][0].item<double>() == Approx(0.6).margin(1e-3));
    CHECK(x[0][1].item<double>() == Approx(-1.0).margin(1e-3));
  }
  SECTION("an interior optimum is found to high accuracy") {
    const bowl acq{torch::tensor({0.33, 0.1}, torch::kFloat64)};
    const auto x = multi_start_lbfgs(bounds, {.num_restarts = 2, .raw_samples = 16})(acq);
    CHECK(x[0][0].item<double>() == Approx(0.33).margin(1e-6));
    CHECK(x[0][1].item<double>() == Approx(0.1).margin(1e-6));
  }
  SECTION("a multimodal acquisition: at least as good as the best raw sample") {
    const wavy acq;
    const auto unit = torch::tensor({{0.0, 0.0}, {1.0, 1.0}}, torch::kFloat64);
    const auto x = multi_start_lbfgs(unit, {.num_restarts = 5, .raw_samples = 128})(acq);
    const auto raw = qmc_uniform(128, 2, 0).unsqueeze(1);
    CHECK(acq(x.unsqueeze(0)).item<double>() >= acq(raw).max().item<double>());
    CHECK(((x >= 0) & (x <= 1)).all().item<bool>());
  }
}

TEST_CASE("sequential greedy picks q distinct points conditioned on the pending ones",
          "[mobo][optimizer]") {
  lattice grid({grid_values(6), grid_values(6)});
  std::vector<torch::Tensor> seen;
  const auto X = sequential_greedy(
      exhaustive_search(grid.enumerate()),
      [&](const torch::Tensor& pending) {
        seen.push_back(pending);
        return bowl{torch::tensor({0.4, 0.4}, torch::kFloat64)};
      },
      3);
  CHECK(X.sizes() == torch::IntArrayRef{3, 2});
  CHECK_FALSE(seen[0].defined());
  CHECK(seen[2].size(0) == 2);
  // Greedy with avoidance: the three lattice points nearest to the target, no repeats.
  CHECK(std::get<0>(torch::_unique(X.select(-1, 0) * 10 + X.select(-1, 1), false)).numel() == 3);
}

TEST_CASE("ask/tell reaches 90% of BraninCurrin's maximal hypervolume", "[mobo][optimizer]") {
  const BraninCurrin problem;
  const auto start = std::chrono::steady_clock::now();
  ask_tell opt(problem.bounds(), 2, problem.ref_point(),
               {.initial_points = 6, .mc_samples = 32, .seed = 0, .minimize = true,
                .num_restarts = 2, .raw_samples = 64, .max_iter = 30});
  auto X0 = opt.ask(6);
  CHECK(X0.sizes() == torch::IntArrayRef{6, 2});
  opt.tell(X0, problem.evaluate(X0));
  const double initial = opt.hypervolume();
  for (int batch = 0; batch < 10; ++batch) {
    auto X = opt.ask(2);
    REQUIRE(X.sizes() == torch::IntArrayRef{2, 2});
    CHECK(((X >= 0) & (X <= 1)).all().item<bool>());
    opt.tell(X, problem.evaluate(X));
  }
  const double fraction = opt.hypervolume() / problem.max_hv();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  WARN("BraninCurrin: HV " << opt.hypervolume() << " = " << fraction << " of max (initial "
                           << initial / problem.max_hv() << ") after " << opt.num_told()
                           << " evaluations in " << seconds << " s");
  CHECK(opt.num_told() == 26);
  CHECK(fraction >= 0.9);
}

TEST_CASE("the examples of ask_tell.hpp and ask_tell_options.hpp compile as written", "[mobo][optimizer]") {
  namespace mobo = autopeft::mobo;
  // ask_tell_options.hpp's example: designators in declaration order.
  mobo::ask_tell_options o{.initial_points = 6, .seed = 1, .minimize = true};
  CHECK((o.initial_points == 6 && o.seed == 1 && o.minimize && o.mc_samples == 128));
  // ask_tell.hpp's example, compiled; the BraninCurrin run above runs the same loop.
  const BraninCurrin problem;
  const auto bounds = problem.bounds();
  const auto f = [&](const torch::Tensor& X) { return problem.evaluate(X); };
  [[maybe_unused]] const auto header_example = [&] {
    ask_tell opt(bounds, 2, torch::tensor({18.0, 6.0}), {.seed = 0, .minimize = true});
    for (int i = 0; i < 10; ++i) {
      auto X = opt.ask(2);
      opt.tell(X, f(X));
    }
    return opt.num_told();
  };
  // The policy examples of acquisition_of.hpp, random_search.hpp, pareto_local_search.hpp and
  // random_candidates.hpp.
  const auto ref = problem.ref_point();
  {
    mobo::ask_tell<mobo::gp<mobo::rbf_kernel>, mobo::acquisition_of<mobo::qnehvi>> opt(bounds, 2, ref);
    CHECK(opt.num_told() == 0);
  }
  {
    mobo::ask_tell<mobo::gp<mobo::rbf_kernel>, mobo::random_search, mobo::random_candidates> opt(bounds, 2, ref);
    CHECK(opt.num_told() == 0);
  }
  {
    mobo::ask_tell<mobo::gp<mobo::rbf_kernel>, mobo::acquisition_of<mobo::qnehvi>,
                   mobo::pareto_local_search> opt(bounds, 2, ref);
    CHECK(opt.num_told() == 0);
  }
  {
    mobo::ask_tell<mobo::gp<mobo::rbf_kernel>, mobo::acquisition_of<mobo::thompson_sampling>,
                   mobo::random_candidates> opt(bounds, 2, ref);
    CHECK(opt.num_told() == 0);
  }
}

TEST_CASE("ask/tell on a discrete lattice never repeats a point", "[mobo][optimizer]") {
  lattice grid({grid_values(9), grid_values(9)});
  const auto f = [](const torch::Tensor& x) {
    return torch::stack({x.select(-1, 0) + 0.3 * x.select(-1, 1),
                         1 - x.select(-1, 0).pow(2) + 0.2 * x.select(-1, 1)},
                        -1);
  };
  const auto unit = torch::tensor({{0.0, 0.0}, {1.0, 1.0}}, torch::kFloat64);
  ask_tell opt(unit, 2, torch::tensor({-0.1, -0.1}, torch::kFloat64), discrete_space::of(grid),
               {.initial_points = 5, .mc_samples = 32, .seed = 3, .local_search_restarts = 3});
  auto X = opt.ask(5);
  opt.tell(X, f(X));
  for (int i = 0; i < 2; ++i) {
    X = opt.ask(2);
    CHECK(torch::equal(grid.snap(X), X));
    opt.tell(X, f(X));
  }
  const auto key = opt.X().select(-1, 0) * 100 + opt.X().select(-1, 1);
  CHECK(std::get<0>(torch::_unique(key, false)).numel() == opt.num_told());
}
