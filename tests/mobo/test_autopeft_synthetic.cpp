#include <autopeft/error.hpp>
#include <autopeft/mobo/problems/autopeft_synthetic.hpp>
#include <autopeft/space/family.hpp>
#include <autopeft/space/spaces/autopeft_space.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <random>

using namespace autopeft;
using mobo::AutoPEFTSynthetic;
using S = AutoPEFTSynthetic::space_type;

namespace {

space::configuration make(int sa, int pa, int pt, std::vector<bool> layers) {
  return S::from_json({{"sa", sa}, {"pa", pa}, {"pt", pt}, {"layers", layers}});
}

std::vector<bool> only(std::initializer_list<int> on) {
  std::vector<bool> v(12, false);
  for (int l : on) v[static_cast<std::size_t>(l)] = true;
  return v;
}

}  // namespace

TEST_CASE("AutoPEFTSynthetic: % trainable parameters match hand-computed bert-base counts",
          "[mobo][problems]") {
  const AutoPEFTSynthetic problem;
  // SA 48 on all 12 layers: 12 (2·768·48 + 48 + 768) = 894,528.
  const auto a = make(48, 0, 0, std::vector<bool>(12, true));
  CHECK(AutoPEFTSynthetic::trainable_parameters(a) == 894'528);
  CHECK(problem.evaluate(a)[1] == Approx(100.0 * 894'528 / 109'482'240.0).epsilon(1e-14));
  CHECK(problem.evaluate(a)[1] == Approx(0.8170530672372066).epsilon(1e-12));
  // PA 96 and a prefix of 12 on layers {0, 5, 11}:
  //   PA 3 (2·768·96 + 96 + 768) = 444,960;
  //   PT 12·768 + (768·800 + 800) + (800·2·3·768 + 2·3·768) = 9,216 + 615,200 + 3,691,008
  //      = 4,315,424;  total 4,760,384.
  const auto b = make(0, 96, 12, only({0, 5, 11}));
  CHECK(AutoPEFTSynthetic::trainable_parameters(b) == 4'760'384);
  CHECK(problem.evaluate(b)[1] == Approx(4.34808787251704).epsilon(1e-12));
  // The same counts as the plan space::to_plan builds (the library's own route).
  const auto config = model::EncoderConfig::bert_base();
  for (const auto& c : {a, b})
    CHECK(to_plan(S{}, c, space::autopeft_base_plan<12>()).trainable_parameters(config) ==
          AutoPEFTSynthetic::trainable_parameters(c));
  std::mt19937_64 rng(5);
  for (int i = 0; i < 50; ++i) {
    const auto c = S::sample(rng);
    CHECK(to_plan(S{}, c, space::autopeft_base_plan<12>()).trainable_parameters(config) ==
          AutoPEFTSynthetic::trainable_parameters(c));
  }
}

TEST_CASE("AutoPEFTSynthetic: more SA capacity never lowers the accuracy surrogate",
          "[mobo][problems]") {
  constexpr std::array<int, 11> sizes{0, 1, 3, 6, 12, 24, 48, 96, 192, 384, 768};
  std::mt19937_64 rng(11);
  for (int t = 0; t < 100; ++t) {
    auto base = S::sample(rng);
    const auto pa = S::get<"pa">(base), pt = S::get<"pt">(base);
    const auto layers = S::get<"layers">(base);
    double previous = -1.0;
    for (int sa : sizes) {
      if (sa == 0 && pa == 0 && pt == 0) continue;  // invalid: every module off
      const double acc = AutoPEFTSynthetic::accuracy(make(sa, pa, pt, layers));
      CHECK(acc >= previous);
      CHECK((acc > 0.55 && acc < 0.9));
      previous = acc;
    }
  }
  // Later layers matter more; PA beats SA of the same size (same parameter count).
  CHECK(AutoPEFTSynthetic::accuracy(make(48, 0, 0, only({11}))) >
        AutoPEFTSynthetic::accuracy(make(48, 0, 0, only({0}))));
  CHECK(AutoPEFTSynthetic::accuracy(make(0, 48, 0, only({3}))) >
        AutoPEFTSynthetic::accuracy(make(48, 0, 0, only({3}))));
  CHECK(AutoPEFTSynthetic::trainable_parameters(make(0, 48, 0, only({3}))) ==
        AutoPEFTSynthetic::trainable_parameters(make(48, 0, 0, only({3}))));
}

TEST_CASE("AutoPEFTSynthetic: every layer off is invalid and rejected", "[mobo][problems]") {
  const AutoPEFTSynthetic problem;
  // from_json already refuses it; build it by switching a valid configuration's layers off.
  CHECK_THROWS(make(48, 96, 12, std::vector<bool>(12, false)));
  auto off = make(48, 96, 12, std::vector<bool>(12, true));
  for (std::size_t k = 3; k < 15; ++k) off.x[k] = 0.0;
  CHECK(!S::valid(off));
  CHECK(S::check(off).find("layers") != std::string::npos);
  CHECK_THROWS_AS(problem.evaluate(off), autopeft::error);
  CHECK_THROWS_AS(AutoPEFTSynthetic::trainable_parameters(off), autopeft::error);
  // Through the encoded interface: the row's layer components all below 0.5.
  auto X = torch::tensor(S::encode(make(48, 96, 12, std::vector<bool>(12, true))), torch::kFloat64)
               .unsqueeze(0)
               .repeat({2, 1});
  X[1].narrow(0, 3, 12).fill_(0.2);
  CHECK_THROWS_WITH(problem.evaluate(X), Catch::Contains("row 1"));
}

TEST_CASE("AutoPEFTSynthetic: the encoded interface decodes and agrees; noise is seeded",
          "[mobo][problems]") {
  const AutoPEFTSynthetic problem;
  static_assert(AutoPEFTSynthetic::dim == 15 && AutoPEFTSynthetic::num_objectives == 2);
  std::mt19937_64 rng(2);
  std::vector<space::configuration> cs;
  std::vector<double> flat;
  for (int i = 0; i < 8; ++i) {
    cs.push_back(S::sample(rng));
    auto u = S::encode(cs.back());
    for (auto& v : u) v = std::clamp(v + 0.02, 0.0, 1.0);  // off-level encodings still decode
    flat.insert(flat.end(), u.begin(), u.end());
  }
  const auto X = torch::tensor(flat, torch::kFloat64).view({8, 15});
  const auto Y = problem.evaluate(X);
  REQUIRE(Y.sizes() == torch::IntArrayRef({8, 2}));
  for (int i = 0; i < 8; ++i) {
    const auto y = problem.evaluate(cs[static_cast<std::size_t>(i)]);
    CHECK(Y[i][0].item<double>() == y[0]);
    CHECK(Y[i][1].item<double>() == y[1]);
  }
  CHECK(torch::equal(problem.ref_point(), torch::tensor({0.7, 26.0}, torch::kFloat64)));
  CHECK(torch::equal(problem.max_ref_point(), torch::tensor({0.7, -26.0}, torch::kFloat64)));

  const AutoPEFTSynthetic n1({.noise_std = 0.01, .seed = 3}), n2({.noise_std = 0.01, .seed = 3});
  const auto c = cs[0];
  const auto a = n1.evaluate(c), b = n2.evaluate(c);
  CHECK(a[0] == b[0]);
  CHECK(a[0] != AutoPEFTSynthetic::accuracy(c));
  CHECK(std::abs(a[0] - AutoPEFTSynthetic::accuracy(c)) < 0.06);
  CHECK(a[1] == AutoPEFTSynthetic::parameter_percent(c));  // the count is never noisy
}
