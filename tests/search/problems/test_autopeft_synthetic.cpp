#include <autopeft/error.hpp>
#include <autopeft/search/problems/autopeft_synthetic.hpp>
#include <autopeft/space/family.hpp>
#include <autopeft/space/spaces/autopeft_space.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

using namespace autopeft;
using search::AutoPEFTSynthetic;
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

// Spearman's rank correlation (average ranks for ties).
double spearman(const std::vector<double>& a, const std::vector<double>& b) {
  auto ranks = [](const std::vector<double>& v) {
    std::vector<std::size_t> order(v.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(), [&](std::size_t i, std::size_t j) { return v[i] < v[j]; });
    std::vector<double> r(v.size());
    for (std::size_t i = 0; i < order.size();) {
      std::size_t j = i;
      while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
      for (std::size_t k = i; k <= j; ++k) r[order[k]] = 0.5 * static_cast<double>(i + j);
      i = j + 1;
    }
    return r;
  };
  const auto ra = ranks(a), rb = ranks(b);
  const double n = static_cast<double>(a.size()), mean = (n - 1) / 2;
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    sab += (ra[i] - mean) * (rb[i] - mean);
    saa += (ra[i] - mean) * (ra[i] - mean);
    sbb += (rb[i] - mean) * (rb[i] - mean);
  }
  return sab / std::sqrt(saa * sbb);
}

// n distinct valid configurations, seeded.
std::vector<space::configuration> sample_distinct(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<space::configuration> out;
  std::vector<std::uint64_t> seen;
  while (out.size() < n) {
    auto c = S::canonical(S::sample(rng));
    if (std::find(seen.begin(), seen.end(), S::hash(c)) != seen.end()) continue;
    seen.push_back(S::hash(c));
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace

TEST_CASE("AutoPEFTSynthetic: % trainable parameters match hand-computed bert-base counts",
          "[search][problems]") {
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
          "[search][problems]") {
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

TEST_CASE("AutoPEFTSynthetic: every layer off is invalid and rejected", "[search][problems]") {
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
          "[search][problems]") {
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

TEST_CASE("AutoPEFTSynthetic: stored parameters fold the prefix MLP away", "[search][problems]") {
  // PA 96 and a prefix of 12 on layers {0, 5, 11}: PA 444,960 as above; the stored prefix is
  // 12·2·3·768 = 55,296 (no MLP, no prefix embedding); total 500,256.
  const auto b = make(0, 96, 12, only({0, 5, 11}));
  CHECK(AutoPEFTSynthetic::stored_parameters(b) == 500'256);
  const AutoPEFTSynthetic trainable, stored({.cost = search::autopeft_synthetic_options::stored});
  CHECK(trainable.evaluate(b)[1] == AutoPEFTSynthetic::parameter_percent(b));  // the default
  CHECK(stored.evaluate(b)[1] == Approx(100.0 * 500'256 / 109'482'240.0).epsilon(1e-14));
  CHECK(stored.cost(b) == stored.evaluate(b)[1]);
  CHECK(stored.evaluate(b)[0] == trainable.evaluate(b)[0]);  // the accuracy does not care
  // Without a prefix both counts agree; with one, they agree with the plan's closed forms.
  CHECK(AutoPEFTSynthetic::stored_parameters(make(48, 0, 0, std::vector<bool>(12, true))) == 894'528);
  const auto config = model::EncoderConfig::bert_base();
  std::mt19937_64 rng(9);
  for (int i = 0; i < 50; ++i) {
    const auto c = S::sample(rng);
    CHECK(to_plan(S{}, c, space::autopeft_base_plan<12>()).stored_parameters(config) ==
          AutoPEFTSynthetic::stored_parameters(c));
    CHECK(AutoPEFTSynthetic::stored_parameters(c) <= AutoPEFTSynthetic::trainable_parameters(c));
  }
}

TEST_CASE("AutoPEFTSynthetic: at full fidelity the fidelity model is the plain problem",
          "[search][problems][fidelity]") {
  const AutoPEFTSynthetic problem;
  for (const auto& c : sample_distinct(50, 21)) {
    CHECK(AutoPEFTSynthetic::fidelity_bias(c, 1.0) == 0.0);
    CHECK(AutoPEFTSynthetic::accuracy(c, 1.0) == AutoPEFTSynthetic::accuracy(c));
    CHECK(problem.evaluate(c, 1.0, 17) == problem.evaluate(c));
    CHECK(problem.evaluate(c, 1.0) == problem.evaluate(c));
    CHECK(problem.evaluate(c)[0] == AutoPEFTSynthetic::accuracy(c));  // noise 0: exact
  }
  CHECK(problem.noise_std(1.0) == 0.0);
  // With full-fidelity noise, s = 1 draws exactly what evaluate(c) draws.
  const AutoPEFTSynthetic n1({.noise_std = 0.01, .seed = 3}), n2({.noise_std = 0.01, .seed = 3});
  const auto c = make(48, 96, 12, only({2, 7, 11}));
  for (int i = 0; i < 5; ++i) CHECK(n1.evaluate(c, 1.0) == n2.evaluate(c));
  CHECK(n1.noise_std(1.0) == 0.01);
  // s outside (0, 1] is refused, naming the range.
  CHECK_THROWS_WITH(problem.evaluate(c, 0.0, 1), Catch::Contains("(0, 1]"));
  CHECK_THROWS_AS(problem.evaluate(c, 1.5, 1), autopeft::error);
  CHECK_THROWS_AS(AutoPEFTSynthetic::fidelity_bias(c, -0.1), autopeft::error);
}

TEST_CASE("AutoPEFTSynthetic: the low-fidelity bias shrinks with s and hits slow configurations harder",
          "[search][problems][fidelity]") {
  constexpr std::array<double, 9> grid{0.02, 0.05, 1.0 / 9, 0.2, 1.0 / 3, 0.5, 0.7, 0.9, 1.0};
  for (const auto& c : sample_distinct(100, 22)) {
    double previous = 1.0;
    for (double s : grid) {
      const double b = AutoPEFTSynthetic::fidelity_bias(c, s);
      if (s < 1.0) CHECK(b > 0.0);
      CHECK(b < previous);
      previous = b;
      // Never below the surrogate's floor, never above the full-budget value.
      CHECK(AutoPEFTSynthetic::accuracy(c, s) > 0.55);
      CHECK(AutoPEFTSynthetic::accuracy(c, s) <= AutoPEFTSynthetic::accuracy(c));
    }
  }
  // Share of the gain over 0.55 lost at s = 1/9: (beta0 + beta1 h) (8/9)^1.5, h the slowness.
  auto lost = [](const space::configuration& c) {
    return AutoPEFTSynthetic::fidelity_bias(c, 1.0 / 9) / (AutoPEFTSynthetic::accuracy(c) - 0.55);
  };
  const auto all = std::vector<bool>(12, true);
  const double k = std::pow(8.0 / 9.0, 1.5);
  CHECK(lost(make(0, 0, 96, all)) == Approx(0.6 * k));  // a prefix alone: h = 1
  CHECK(lost(make(768, 0, 0, all)) == Approx(0.6 * k));  // the largest adapter: h = 1
  CHECK(lost(make(1, 0, 0, all)) == Approx((0.15 + 0.45 * std::log2(2.0) / std::log2(769.0)) * k));
  CHECK(lost(make(0, 6, 0, all)) < lost(make(0, 96, 0, all)));
  CHECK(lost(make(0, 6, 0, all)) < lost(make(0, 6, 12, all)));  // adding a prefix slows it
}

TEST_CASE("AutoPEFTSynthetic: the low-fidelity noise grows as s falls (seeded, empirical)",
          "[search][problems][fidelity]") {
  const AutoPEFTSynthetic problem;  // noise_std 0, fidelity_noise_std 0.004
  const auto c = make(12, 48, 0, only({4, 8, 9, 10, 11}));
  auto empirical = [&](double s) {
    constexpr int n = 4000;
    std::vector<double> y;
    for (int i = 0; i < n; ++i) y.push_back(problem.evaluate(c, s, static_cast<std::uint64_t>(i))[0]);
    const double mean = std::accumulate(y.begin(), y.end(), 0.0) / n;
    double sq = 0;
    for (double v : y) sq += (v - mean) * (v - mean);
    return std::pair{mean, std::sqrt(sq / (n - 1))};
  };
  double previous_sd = 1.0;
  for (double s : {1.0 / 27, 1.0 / 9, 1.0 / 3, 0.8}) {
    const auto [mean, sd] = empirical(s);
    INFO("s = " << s << ": empirical sd " << sd << ", model " << problem.noise_std(s));
    CHECK(problem.noise_std(s) == Approx(0.004 * std::sqrt(1.0 / s - 1.0)));
    CHECK(sd == Approx(problem.noise_std(s)).epsilon(0.05));  // 4000 draws: ~1.1 % s.e.
    CHECK(std::abs(mean - AutoPEFTSynthetic::accuracy(c, s)) < 4 * sd / std::sqrt(4000.0));
    CHECK(sd < previous_sd);
    previous_sd = sd;
  }
  for (std::uint64_t seed = 0; seed < 100; ++seed)  // no noise left at s = 1
    CHECK(problem.evaluate(c, 1.0, seed)[0] == AutoPEFTSynthetic::accuracy(c));
  // Seeded: the same (c, s, seed) gives the same value, another seed another one.
  CHECK(problem.evaluate(c, 0.25, 5) == problem.evaluate(c, 0.25, 5));
  CHECK(problem.evaluate(c, 0.25, 5)[0] != problem.evaluate(c, 0.25, 6)[0]);
  CHECK(problem.evaluate(c, 0.25, 5)[1] == problem.evaluate(c)[1]);  // the count is exact
}

TEST_CASE("AutoPEFTSynthetic: low fidelity misranks configurations, less so as s grows",
          "[search][problems][fidelity]") {
  const AutoPEFTSynthetic problem;
  const auto cs = sample_distinct(300, 23);
  std::vector<double> full;
  for (const auto& c : cs) full.push_back(AutoPEFTSynthetic::accuracy(c));
  auto rho = [&](double s, bool noisy) {
    std::vector<double> low;
    for (std::size_t i = 0; i < cs.size(); ++i)
      low.push_back(noisy ? problem.evaluate(cs[i], s, 1000 + i)[0] : AutoPEFTSynthetic::accuracy(cs[i], s));
    return spearman(low, full);
  };
  const double noisy_01 = rho(0.1, true), noisy_03 = rho(1.0 / 3, true), noisy_09 = rho(0.9, true);
  const double clean_01 = rho(0.1, false), clean_03 = rho(1.0 / 3, false);
  INFO("Spearman vs s = 1: noisy " << noisy_01 << " (s 0.1), " << noisy_03 << " (1/3), " << noisy_09
                                   << " (0.9); bias only " << clean_01 << " (0.1), " << clean_03 << " (1/3)");
  CHECK(noisy_01 < 0.9);  // clearly misranked at a tenth of the budget
  CHECK(clean_01 < 0.97);  // the bias alone misranks, not just the noise
  CHECK(noisy_01 < noisy_03);
  CHECK(noisy_03 < noisy_09);
  CHECK(clean_01 < clean_03);
  CHECK(rho(1.0, true) == Approx(1.0));
}
