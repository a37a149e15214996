#include <autopeft/mobo/pareto/hypervolume.hpp>
#include <autopeft/mobo/pareto/non_dominated.hpp>
#include <autopeft/mobo/problems.hpp>

#include <cmath>
#include <numbers>

using namespace autopeft;
using autopeft::mobo::hypervolume;

namespace {

// Hypervolume of a minimisation front with a minimisation reference point.
double min_hv(const torch::Tensor& F, const torch::Tensor& ref) { return hypervolume(-F, -ref); }

torch::Tensor row(std::initializer_list<double> v) {
  return torch::tensor(std::vector<double>(v), torch::kFloat64).unsqueeze(0);
}

template <class Problem>
void check_shapes(const Problem& p) {
  auto b = p.bounds();
  REQUIRE(b.sizes() == torch::IntArrayRef({2, p.dim}));
  CHECK(torch::all(b[0] < b[1]).template item<bool>());
  auto X = b[0] + (b[1] - b[0]) * torch::rand({7, p.dim}, torch::kFloat64);
  auto F = p.evaluate(X);
  CHECK(F.sizes() == torch::IntArrayRef({7, p.num_objectives}));
  CHECK(p.evaluate(X.to(torch::kFloat32)).dtype() == torch::kFloat32);
  CHECK(p.evaluate(X.unsqueeze(0)).sizes() == torch::IntArrayRef({1, 7, p.num_objectives}));
  CHECK(p.ref_point().sizes() == torch::IntArrayRef({p.num_objectives}));
  CHECK_THROWS_AS(p.evaluate(torch::zeros({3, p.dim + 1})), autopeft::error);
  // Random designs never beat the maximal hypervolume.
  auto Xs = b[0] + (b[1] - b[0]) * torch::rand({500, p.dim}, torch::kFloat64);
  CHECK(min_hv(p.evaluate(Xs), p.ref_point()) < p.max_hv());
}

}  // namespace

TEST_CASE("BraninCurrin matches Branin's and Currin's closed forms", "[mobo][problems]") {
  mobo::BraninCurrin p;
  check_shapes(p);
  // Hand-computed values (Branin on [-5, 10] x [0, 15] rescaled to [0, 1]^2).
  auto F = p.evaluate(torch::tensor({{0.5, 0.5}, {0.2, 0.8}, {1.0, 1.0}}, torch::kFloat64));
  CHECK(F[0][0].item<double>() == Approx(24.129964413622268).epsilon(1e-13));
  CHECK(F[0][1].item<double>() == Approx(7.40512391329881).epsilon(1e-13));
  CHECK(F[1][0].item<double>() == Approx(11.294861493648417).epsilon(1e-13));
  CHECK(F[1][1].item<double>() == Approx(6.399092638084671).epsilon(1e-13));
  CHECK(F[2][0].item<double>() == Approx(145.87219087939556).epsilon(1e-13));
  CHECK(F[2][1].item<double>() == Approx(4.005316104976526).epsilon(1e-13));
  // Branin's three global minima, 5/(4 pi) * ... = 0.397887.
  constexpr double pi = std::numbers::pi;
  auto minima = torch::tensor({{-pi, 12.275}, {pi, 2.275}, {9.42478, 2.475}}, torch::kFloat64);
  minima.select(1, 0).add_(5).div_(15);
  minima.select(1, 1).div_(15);
  CHECK(torch::allclose(p.evaluate(minima).select(1, 0),
                        torch::full({3}, 0.397887, torch::kFloat64), 0, 1e-5));
  // Currin at x1 -> 0 is the rational factor alone: 60 / 20 = 3 at x0 = 0.
  CHECK(p.evaluate(row({0.0, 0.0}))[0][1].item<double>() == Approx(3.0));
  // A grid refined around its own front twice approaches max_hv from below; a deeper search
  // (5 rounds, 7.8M points) reaches 59.4046, so the published NSGA-II value is a little low.
  auto g = torch::linspace(0, 1, 201, torch::kFloat64);
  auto X = torch::stack(torch::meshgrid({g, g}, "ij"), -1).reshape({-1, 2});
  double h = 1.0 / 200;
  for (int round = 0; round < 2; ++round) {
    auto front = X.index({mobo::is_non_dominated(-p.evaluate(X))});
    auto o = torch::linspace(-h, h, 11, torch::kFloat64);
    auto offsets = torch::stack(torch::meshgrid({o, o}, "ij"), -1).reshape({-1, 2});
    X = torch::cat(
        {front, (front.unsqueeze(1) + offsets.unsqueeze(0)).reshape({-1, 2}).clamp(0, 1)});
    h /= 5;
  }
  const double hv = min_hv(p.evaluate(X), p.ref_point());
  CHECK(hv > p.max_hv() - 0.01);
  CHECK(hv < 59.41);
}

TEST_CASE("ZDT1-3 evaluate to their closed forms and their fronts reach max_hv",
          "[mobo][problems]") {
  mobo::ZDT1 z1(4);
  mobo::ZDT2 z2(4);
  mobo::ZDT3 z3(4);
  check_shapes(z1);
  check_shapes(z2);
  check_shapes(z3);
  CHECK(mobo::ZDT1{}.dim == 6);
  CHECK_THROWS_AS(mobo::ZDT1(1), autopeft::error);
  // x = 0: f = (0, 1) for all three.
  for (auto F : {z1.evaluate(torch::zeros({1, 4}, torch::kFloat64)),
                 z2.evaluate(torch::zeros({1, 4}, torch::kFloat64)),
                 z3.evaluate(torch::zeros({1, 4}, torch::kFloat64))}) {
    CHECK(F[0][0].item<double>() == 0.0);
    CHECK(F[0][1].item<double>() == Approx(1.0));
  }
  // x = (0.3 or 0.35, 0.2, 0.2, 0.2): g = 1.6, computed by hand.
  CHECK(z1.evaluate(row({0.3, 0.2, 0.2, 0.2}))[0][1].item<double>() ==
        Approx(1.8834848610088317).epsilon(1e-13));
  CHECK(z2.evaluate(row({0.3, 0.2, 0.2, 0.2}))[0][1].item<double>() ==
        Approx(2.7678571428571423).epsilon(1e-13));
  CHECK(z3.evaluate(row({0.35, 0.2, 0.2, 0.2}))[0][1].item<double>() ==
        Approx(2.1600505063388336).epsilon(1e-13));
  // The Pareto set (x_i = 0 for i >= 1) maps onto the analytic front.
  auto X = torch::zeros({50, 4}, torch::kFloat64);
  X.select(1, 0).copy_(torch::linspace(0, 1, 50, torch::kFloat64));
  CHECK(torch::allclose(z1.evaluate(X), z1.pareto_front(50)));
  CHECK(torch::allclose(z2.evaluate(X), z2.pareto_front(50)));
  // Dense fronts reach the maximal hypervolume from below.
  for (auto [front, max_hv] : {std::pair{z1.pareto_front(20000), z1.max_hv()},
                               std::pair{z2.pareto_front(20000), z2.max_hv()},
                               std::pair{z3.pareto_front(20000), z3.max_hv()}}) {
    const double hv = min_hv(front, z1.ref_point());
    CHECK(hv <= max_hv);
    CHECK(max_hv - hv < 1e-3);
  }
  // ZDT3's front: all points mutually non-dominated and on the curve of the Pareto set.
  auto f3 = z3.pareto_front(1000);
  CHECK(torch::all(mobo::is_non_dominated(-f3)).item<bool>());
  auto X3 = torch::zeros({1000, 4}, torch::kFloat64);
  X3.select(1, 0).copy_(f3.select(1, 0));
  CHECK(torch::allclose(z3.evaluate(X3), f3));
  // Nothing on the curve between the pieces is Pareto-optimal: a fine sample of the whole curve
  // has the same hypervolume as the front.
  auto t = torch::linspace(0, 1, 200001, torch::kFloat64);
  auto Xc = torch::zeros({t.size(0), 4}, torch::kFloat64);
  Xc.select(1, 0).copy_(t);
  CHECK(std::abs(min_hv(z3.evaluate(Xc), z3.ref_point()) - z3.max_hv()) < 1e-4);
}

TEST_CASE("DTLZ1 and DTLZ2 evaluate to their closed forms and max_hv matches dense fronts",
          "[mobo][problems]") {
  mobo::DTLZ1 d1(5, 3);
  mobo::DTLZ2 d2(5, 3);
  check_shapes(d1);
  check_shapes(d2);
  check_shapes(mobo::DTLZ2(7, 4));
  CHECK_THROWS_AS(mobo::DTLZ2(2, 3), autopeft::error);
  auto x = row({0.2, 0.7, 0.4, 0.9, 0.1});
  auto F1 = d1.evaluate(x);  // g = 100 (3 + 0.33 - 3) = 33
  CHECK(torch::allclose(F1, torch::tensor({{2.38, 1.02, 13.6}}, torch::kFloat64), 1e-12, 1e-12));
  auto F2 = d2.evaluate(x);
  CHECK(
      torch::allclose(F2,
                      torch::tensor({{0.5742549287408077, 1.1270387559848207, 0.4109926025186801}},
                                    torch::kFloat64),
                      1e-13, 1e-13));
  // Fronts: the simplex sum f = 0.5 and the unit sphere.
  auto P1 = d1.pareto_front(500);
  CHECK(torch::allclose(P1.sum(1), torch::full({500}, 0.5, torch::kFloat64)));
  auto P2 = d2.pareto_front(500);
  CHECK(torch::allclose(P2.pow(2).sum(1), torch::ones({500}, torch::kFloat64)));
  // max_hv formulas.
  CHECK(d2.max_hv() == Approx(1.1 * 1.1 * 1.1 - std::numbers::pi / 6).epsilon(1e-15));
  CHECK(mobo::DTLZ2(6, 2).max_hv() == Approx(1.21 - std::numbers::pi / 4).epsilon(1e-15));
  CHECK(d1.max_hv() == Approx(64e6 - 0.125 / 6).epsilon(1e-15));
  // Dense 2-objective fronts (evenly spaced, ends included) reach max_hv to 1e-4.
  for (auto [front, ref, max_hv] :
       {std::tuple{mobo::DTLZ2(6, 2).pareto_front(20000), mobo::DTLZ2(6, 2).ref_point(),
                   mobo::DTLZ2(6, 2).max_hv()},
        std::tuple{mobo::DTLZ1(6, 2).pareto_front(20000), mobo::DTLZ1(6, 2).ref_point(),
                   mobo::DTLZ1(6, 2).max_hv()}}) {
    const double hv = min_hv(front, ref);
    CHECK(hv <= max_hv);
    CHECK(max_hv - hv < 1e-4);
  }
  // 3 objectives: the staircase of n points on a surface misses O(n^-1/2) of the volume, so
  // Richardson-extrapolate from n and 4n: 2 HV(4n) - HV(n).
  auto extrapolated = [](const auto& problem, const torch::Tensor& ref) {
    const double coarse = min_hv(problem.pareto_front(40000), ref);
    const double fine = min_hv(problem.pareto_front(160000), ref);
    CHECK(coarse < fine);
    return 2 * fine - coarse;
  };
  CHECK(std::abs(extrapolated(d2, d2.ref_point()) - d2.max_hv()) < 3e-4);
  // DTLZ1 with the reference point at 0.5, where the volume under the simplex, 0.5^3 / 3!, is
  // not lost in the 400^3 box: the same formula gives 0.5^3 - 0.5^3 / 6.
  auto half = torch::full({3}, 0.5, torch::kFloat64);
  CHECK(std::abs(extrapolated(d1, half) - (0.125 - 0.125 / 6)) < 1e-4);
}

TEST_CASE("VehicleSafety evaluates its response surfaces", "[mobo][problems]") {
  mobo::VehicleSafety p;
  check_shapes(p);
  auto F = p.evaluate(row({1.5, 2.0, 2.5, 1.2, 2.8}));
  CHECK(F[0][0].item<double>() == Approx(1681.6267888300004).epsilon(1e-14));
  CHECK(F[0][1].item<double>() == Approx(8.087661).epsilon(1e-13));
  CHECK(F[0][2].item<double>() == Approx(0.15397600000000006).epsilon(1e-12));
  // A large random sample comes close to, but not above, the published maximum.
  auto b = p.bounds();
  auto X = b[0] + (b[1] - b[0]) * torch::rand({20000, 5}, torch::kFloat64);
  const double hv = min_hv(p.evaluate(X), p.ref_point());
  CHECK(hv < p.max_hv());
  CHECK(hv > 0.85 * p.max_hv());
}
