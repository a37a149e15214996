#include <autopeft/model.hpp>
#include <autopeft/space/binary.hpp>
#include <autopeft/space/categorical.hpp>
#include <autopeft/space/conditional.hpp>
#include <autopeft/space/integer_range.hpp>
#include <autopeft/space/one_hot.hpp>
#include <autopeft/space/per_layer.hpp>
#include <autopeft/space/sample_cost_stratified.hpp>
#include <autopeft/space/sample_sobol.hpp>
#include <autopeft/space/sobol.hpp>
#include <autopeft/space/spaces/autopeft_lora_space.hpp>
#include <autopeft/space/spaces/autopeft_space.hpp>
#include <autopeft/space/spaces/lora_space.hpp>
#include <autopeft/space/spaces/mam_space.hpp>
#include <autopeft/space/spaces/unipelt_space.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>

using namespace autopeft;
using namespace autopeft::space;

namespace {

// Each of the 2^a x 2^(m-a) elementary boxes holds exactly one of the first 2^m points of
// coordinates (i, j).
bool is_net(const sobol& s, unsigned m, std::size_t i, std::size_t j) {
  const std::uint64_t n = std::uint64_t{1} << m;
  for (unsigned a = 0; a <= m; ++a) {
    std::vector<int> count(n, 0);
    for (std::uint64_t p = 0; p < n; ++p) {
      const auto x = s.integer_point(p);
      const std::uint64_t bx = a == 0 ? 0 : x[i] >> (32 - a), by = a == m ? 0 : x[j] >> (32 - (m - a));
      ++count[(bx << (m - a)) | by];
    }
    for (int c : count)
      if (c != 1) return false;
  }
  return true;
}

bool stratified_1d(const sobol& s, unsigned m, std::size_t j, std::uint64_t start = 0) {
  const std::uint64_t n = std::uint64_t{1} << m;
  std::vector<int> count(n, 0);
  for (std::uint64_t p = start; p < start + n; ++p) ++count[static_cast<std::size_t>(s.point(p)[j] * static_cast<double>(n))];
  for (int c : count)
    if (c != 1) return false;
  return true;
}

model::EncoderConfig tiny(std::int64_t layers) {
  auto config = model::EncoderConfig::bert_base();
  config.hidden_size = 16;
  config.num_attention_heads = 2;
  config.intermediate_size = 32;
  config.num_hidden_layers = layers;
  config.vocab_size = 30;
  return config;
}

template <class Model>
std::int64_t peft_parameters(Model& m) {
  std::int64_t n = 0;
  for (auto& p : m->named_parameters())
    if (("." + p.key()).find(".peft.") != std::string::npos) n += p.value().numel();
  return n;
}

using levels_space = search_space<ordinal<"four", 10, 20, 30, 40>, ordinal<"five", 1, 2, 3, 4, 5>, binary<"flag">,
                                  categorical<"act", "relu", "gelu", "tanh">, integer_range<"depth", 2, 9>>;

}  // namespace

TEST_CASE("primitive polynomials over GF(2) come in order of degree, as many per degree as theory says",
          "[space][sobol]") {
  const auto p = sobol::primitive_polynomials(100);
  REQUIRE(p.size() == 100);
  CHECK(p[0] == 0b11);      // x + 1
  CHECK(p[1] == 0b111);     // x^2 + x + 1
  CHECK(p[2] == 0b1011);    // x^3 + x + 1
  CHECK(p[3] == 0b1101);    // x^3 + x^2 + 1
  CHECK(p[4] == 0b10011);   // x^4 + x + 1
  CHECK(p[5] == 0b11001);   // x^4 + x^3 + 1
  // phi(2^s - 1) / s primitive polynomials of degree s: 1, 1, 2, 2, 6, 6, 18, 16, 48.
  std::map<int, int> per_degree;
  for (auto q : p) ++per_degree[31 - __builtin_clz(q)];
  CHECK(per_degree == std::map<int, int>{{1, 1}, {2, 1}, {3, 2}, {4, 2}, {5, 6}, {6, 6}, {7, 18}, {8, 16}, {9, 48}});
  CHECK_THROWS_WITH(sobol(sobol::max_dimensions + 1), Catch::Contains("at most 336"));
}

TEST_CASE("Sobol points lie in [0, 1)^d and are stratified", "[space][sobol]") {
  const sobol plain(64), scrambled(64, 11);
  CHECK(plain.point(0) == std::vector<double>(64, 0.0));
  CHECK(plain.point(1)[0] == 0.5);
  CHECK(plain.point(2)[0] == 0.25);
  CHECK(plain.point(3)[0] == 0.75);
  CHECK(plain.point(2)[1] == 0.75);  // x + 1: m = 1, 3, ...
  for (std::uint64_t i = 0; i < 1024; ++i)
    for (const auto* s : {&plain, &scrambled})
      for (double u : s->point(i)) REQUIRE((u >= 0.0 && u < 1.0));
  for (std::size_t j = 0; j < 64; ++j)
    for (unsigned m : {1u, 4u, 10u}) {
      CHECK(stratified_1d(plain, m, j));
      CHECK(stratified_1d(scrambled, m, j));
      CHECK(stratified_1d(scrambled, m, j, std::uint64_t{1} << m));  // the next block too
    }
  // The first two coordinates form a (0, m, 2)-net; Owen scrambling keeps it one.
  for (unsigned m : {2u, 5u, 8u}) {
    CHECK(is_net(plain, m, 0, 1));
    CHECK(is_net(scrambled, m, 0, 1));
  }
  // A test that can fail: a plain pseudo-random sequence is not stratified.
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u;
  std::set<int> bins;
  for (int i = 0; i < 256; ++i) bins.insert(static_cast<int>(u(rng) * 256));
  CHECK(bins.size() < 256);
}

TEST_CASE("scrambling is deterministic per seed and differs between seeds", "[space][sobol]") {
  const sobol a(8, 1), again(8, 1), b(8, 2), plain(8);
  int differ_seed = 0, differ_plain = 0;
  for (std::uint64_t i = 0; i < 64; ++i) {
    CHECK(a.point(i) == again.point(i));
    differ_seed += a.point(i) != b.point(i);
    differ_plain += a.point(i) != plain.point(i);
  }
  CHECK(differ_seed == 64);
  CHECK(differ_plain == 64);
  CHECK(a.scrambled());
  CHECK(!plain.scrambled());
  CHECK_THROWS_WITH(a.point(std::uint64_t{1} << 32), Catch::Contains("exceeds the 2^32 points"));
}

TEST_CASE("sample_sobol returns n valid configurations that cover levels evenly", "[space][sobol]") {
  static_assert(levels_space::num_components == 5);
  const auto design = sample_sobol<levels_space>(256, 3);
  REQUIRE(design.size() == 256);
  std::map<double, int> four, five, act, depth;
  for (const auto& c : design) {
    REQUIRE(levels_space::valid(c));
    ++four[c.x[0]];
    ++five[c.x[1]];
    ++act[c.x[3]];
    ++depth[c.x[4]];
  }
  // 256 is a multiple of 4 and 8: those levels get exactly their share; 5 and 3 levels within 2.
  CHECK(four == std::map<double, int>{{0, 64}, {1, 64}, {2, 64}, {3, 64}});
  REQUIRE(depth.size() == 8);
  for (auto [level, n] : depth) CHECK(n == 32);
  REQUIRE(five.size() == 5);
  for (auto [level, n] : five) CHECK(std::abs(n - 256.0 / 5) <= 2);
  REQUIRE(act.size() == 3);
  for (auto [level, n] : act) CHECK(std::abs(n - 256.0 / 3) <= 2);

  CHECK((sample_sobol<levels_space>(256, 3) == design));
  CHECK((sample_sobol<levels_space>(256, 4) != design));

  // With constraints: invalid points are skipped and the sequence continues.
  using S = autopeft_space<3>;
  const auto d = sample_sobol<S>(300, 9);
  REQUIRE(d.size() == 300);
  std::set<std::uint64_t> distinct;
  for (const auto& c : d) {
    CHECK(S::valid(c));
    distinct.insert(S::hash(c));
  }
  CHECK(distinct.size() > 250);
  CHECK((sample_sobol<S>(300, 9) == d));
}

TEST_CASE("sample gives every level of a discrete dimension the same probability", "[space][runtime]") {
  // Rounding an encoding would give the end levels half a share (1/6 instead of 1/4 here).
  std::mt19937_64 rng(17);
  std::map<double, int> four;
  for (int i = 0; i < 8000; ++i) ++four[levels_space::sample(rng).x[0]];
  REQUIRE(four.size() == 4);
  for (auto [level, n] : four) CHECK(std::abs(n - 2000) < 200);
}

TEST_CASE("one-hot encoding expands categorical components", "[space][one_hot]") {
  using S = search_space<binary<"flag">, categorical<"act", "relu", "gelu", "tanh">, ordinal<"size", 0, 4, 16>,
                         per_layer<categorical<"pl", "a", "b">, 2>, conditional<categorical<"norm", "pre", "post">, "flag", 1>>;
  static_assert(one_hot_width<S> == 1 + 3 + 1 + 2 * 2 + 2);
  static_assert(one_hot_width<levels_space> == 1 + 1 + 1 + 3 + 1);
  const auto c = S::from_json({{"flag", true}, {"act", "tanh"}, {"size", 4}, {"pl", {"b", "a"}}, {"norm", "post"}});
  CHECK(encode_one_hot(S{}, c) == std::vector<double>{1, 0, 0, 1, 0.5, 0, 1, 1, 0, 0, 1});
  const auto off = S::from_json({{"flag", false}, {"act", "relu"}, {"size", 0}, {"pl", {"a", "a"}}});
  CHECK(encode_one_hot(S{}, off) == std::vector<double>{0, 1, 0, 0, 0, 1, 0, 1, 0, 1, 0});
  // Every one-hot group holds exactly one 1, for every configuration.
  S::enumerate([&](const configuration& x) {
    const auto u = encode_one_hot(S{}, x);
    REQUIRE(u.size() == one_hot_width<S>);
    CHECK(u[1] + u[2] + u[3] == 1);
    CHECK(u[5] + u[6] == 1);
    CHECK(u[7] + u[8] == 1);
    CHECK(u[9] + u[10] == 1);
  });
  CHECK_THROWS_WITH(encode_one_hot(S{}, configuration{{1.0}}), Catch::Contains("has 1 components"));
}

TEST_CASE("per_layer: one value per layer, JSON an array", "[space][per_layer]") {
  using D = per_layer<lora_ranks<"query_r">, 3>;
  static_assert(D::components == 3 && D::levels == 6 && D::cardinality == 216);
  using S = search_space<D>;
  const auto c = S::from_json({{"query_r", {0, 8, 16}}}, "c.json");
  CHECK(S::get<"query_r">(c) == std::vector<int>{0, 8, 16});
  CHECK(S::to_json(c) == nlohmann::json{{"query_r", {0, 8, 16}}});
  CHECK(S::neighbours(c).size() == 1 + 2 + 1);
  CHECK_THROWS_WITH(S::from_json({{"query_r", {0, 8}}}, "c.json"), Catch::Contains("must be an array of 3 values"));
  CHECK_THROWS_WITH(S::from_json({{"query_r", {0, 8, 5}}}, "c.json"), Catch::Contains("c.json (layer 2): dimension 'query_r' has no value 5"));
}

TEST_CASE("LoRA's rank_pattern sets per-site ranks; 0 removes the site", "[space][lora]") {
  const auto config = tiny(2);
  const auto plain = peft::lora{}.r(4).target_modules({"query", "value"});
  CHECK(plain.trainable_parameters(config) == 2 * 2 * 4 * (16 + 16));
  auto patterned = plain;
  patterned.rank_pattern({{"layer.1.attention.self.query", 2}, {"encoder.layer.0.attention.self.value", 0}});
  CHECK(patterned.rank_for("encoder.layer.1.attention.self.query") == 2);
  CHECK(patterned.rank_for("encoder.layer.0.attention.self.value") == 0);
  CHECK(patterned.rank_for("encoder.layer.0.attention.self.query") == 4);
  CHECK(!patterned.selects(0, model::site::value));
  CHECK(patterned.trainable_parameters(config) == (4 + 2 + 4) * (16 + 16));
  model::SequenceClassifier<peft::plan<peft::lora>> m(config, peft::plan<peft::lora>{patterned});
  CHECK(peft_parameters(m) == patterned.trainable_parameters(config));
  auto l1 = m->backbone->layers[1]->hooks().module<peft::lora>();
  REQUIRE(l1);
  CHECK(l1->at(model::site::query)->lora_A->weight.size(0) == 2);
  CHECK(l1->at(model::site::query)->scaling() == Approx(8.0 / 2));
  CHECK(l1->at(model::site::value)->lora_A->weight.size(0) == 4);
  CHECK(!m->backbone->layers[0]->hooks().module<peft::lora>()->at(model::site::value));
  auto bad = plain;
  bad.rank_pattern({{"query", -1}});
  CHECK_THROWS_WITH(bad.trainable_parameters(config), Catch::Contains("rank_pattern['query'] is -1"));
}

TEST_CASE("the LoRA space: a rank per layer and target, and alpha", "[space][lora]") {
  static_assert(lora_space<12>::cardinality == 14'215'144'014'964'850'688ull);  // 3 · 6^24
  static_assert(lora_space<12>::num_components == 12 + 12 + 1);
  static_assert(std::is_same_v<family_t<lora_space<3>>, peft::plan<peft::lora>>);
  CHECK(lora_space<1>::count_valid() == 3 * (6 * 6 - 1));
  CHECK(lora_space<2>::count_valid() == 3 * (6 * 6 * 6 * 6 - 1));
  using S = lora_space<3>;
  const auto config = tiny(3);
  for (const auto& j : {nlohmann::json{{"query_r", {8, 0, 1}}, {"value_r", {0, 16, 2}}, {"lora_alpha", 32}},
                        nlohmann::json{{"query_r", {0, 0, 0}}, {"value_r", {0, 4, 0}}, {"lora_alpha", 8}},
                        nlohmann::json{{"query_r", {16, 16, 16}}, {"value_r", {16, 16, 16}}, {"lora_alpha", 16}}}) {
    const auto c = S::from_json(j);
    CHECK(S::to_json(c) == j);
    const auto plan = to_plan(S{}, c, lora_base_plan<3>());
    CHECK(plan.get<peft::lora>().lora_alpha() == j["lora_alpha"].get<double>());
    std::int64_t expected = 0;
    for (auto r : j["query_r"]) expected += r.get<std::int64_t>() * 32;
    for (auto r : j["value_r"]) expected += r.get<std::int64_t>() * 32;
    CHECK(plan.trainable_parameters(config) == expected);
    model::SequenceClassifier<family_t<S>> m(config, plan);
    CHECK(peft_parameters(m) == expected);
  }
  const auto c = S::from_json({{"query_r", {8, 0, 1}}, {"value_r", {0, 16, 2}}, {"lora_alpha", 32}});
  model::SequenceClassifier<family_t<S>> m(config, to_plan(S{}, c, lora_base_plan<3>()));
  CHECK(!m->backbone->layers[0]->hooks().module<peft::lora>()->at(model::site::value));
  CHECK(m->backbone->layers[1]->hooks().module<peft::lora>()->at(model::site::value)->scaling() == Approx(32.0 / 16));
  CHECK_THROWS_WITH(S::from_json({{"query_r", {0, 0, 0}}, {"value_r", {0, 0, 0}}, {"lora_alpha", 8}}),
                    Catch::Contains("violates a constraint on 'query_r', 'value_r'"));
  for (const auto& s : sample_sobol<S>(50, 1)) CHECK(S::valid(s));
}

TEST_CASE("the MAM space: prefix length and parallel-adapter bottleneck", "[space][mam]") {
  static_assert(mam_space::cardinality == 7 * 11);
  static_assert(std::is_same_v<family_t<mam_space>, peft::plan<peft::prefix_tuning, peft::parallel_adapter>>);
  CHECK(mam_space::count_valid() == 76);
  const auto config = tiny(2);
  for (const auto& j : {nlohmann::json{{"prefix_length", 6}, {"pa_bottleneck", 24}},
                        nlohmann::json{{"prefix_length", 0}, {"pa_bottleneck", 3}},
                        nlohmann::json{{"prefix_length", 48}, {"pa_bottleneck", 0}}}) {
    const auto plan = to_plan(mam_space{}, mam_space::from_json(j), mam_base_plan());
    model::SequenceClassifier<family_t<mam_space>> m(config, plan);
    const auto p = j["prefix_length"].get<std::int64_t>(), b = j["pa_bottleneck"].get<std::int64_t>();
    const std::int64_t expected = (p ? p * 16 + (16 * 800 + 800) + (800 * 2 * 2 * 16 + 2 * 2 * 16) : 0) +
                                  (b ? 2 * (2 * 16 * b + b + 16) : 0);
    CHECK(plan.trainable_parameters(config) == expected);
    CHECK(peft_parameters(m) == expected);
  }
}

TEST_CASE("the UniPELT space: LoRA r, prefix length and adapter bottleneck", "[space][unipelt]") {
  static_assert(unipelt_space::cardinality == 5 * 7 * 10);
  static_assert(std::is_same_v<family_t<unipelt_space>, peft::plan<peft::unipelt>>);
  CHECK(unipelt_space::count_valid() == 350);
  const auto config = tiny(2);
  for (const auto& j : {nlohmann::json{{"lora_r", 4}, {"prefix_length", 6}, {"bottleneck_size", 12}},
                        nlohmann::json{{"lora_r", 1}, {"prefix_length", 0}, {"bottleneck_size", 1}},
                        nlohmann::json{{"lora_r", 16}, {"prefix_length", 48}, {"bottleneck_size", 96}}}) {
    const auto plan = to_plan(unipelt_space{}, unipelt_space::from_json(j), unipelt_base_plan());
    const auto& u = plan.get<peft::unipelt>();
    CHECK(u.r() == j["lora_r"].get<std::int64_t>());
    CHECK(u.num_virtual_tokens() == j["prefix_length"].get<std::int64_t>());
    CHECK(u.bottleneck_size() == j["bottleneck_size"].get<std::int64_t>());
    model::SequenceClassifier<family_t<unipelt_space>> m(config, plan);
    const auto r = u.r(), p = u.num_virtual_tokens(), b = u.bottleneck_size();
    const std::int64_t expected = 2 * (2 * r * 2 * 16 + (2 * 16 * b + b + 16) + (p ? 3 : 2) * 17) + p * 2 * 2 * 16;
    CHECK(plan.trainable_parameters(config) == expected);
    CHECK(peft_parameters(m) == expected);
  }
}

namespace {
// The stored parameters of an AutoPEFT configuration on bert-base (hidden 768): per layer on,
// 2·H·(sa + pa + pt) (the reference's closed form) plus the adapters' biases (b + H each).
double autopeft_stored(const configuration& c) {
  using S = autopeft_space<12>;
  const double h = 768;
  const auto sa = static_cast<double>(S::get<"sa">(c)), pa = static_cast<double>(S::get<"pa">(c)),
             pt = static_cast<double>(S::get<"pt">(c));
  double layers = 0;
  for (bool on : S::get<"layers">(c)) layers += on;
  return layers * (2 * h * (sa + pa + pt) + (sa > 0 ? sa + h : 0) + (pa > 0 ? pa + h : 0));
}

// Which log-cost deciles of [cheapest, dearest] the design leaves empty.
std::vector<int> empty_deciles(const std::vector<configuration>& design, double lo, double hi) {
  std::vector<int> count(10, 0);
  for (const auto& c : design) {
    const double u = (std::log(autopeft_stored(c)) - std::log(lo)) / (std::log(hi) - std::log(lo));
    ++count[static_cast<std::size_t>(std::clamp(static_cast<int>(u * 10), 0, 9))];
  }
  std::vector<int> out;
  for (int i = 0; i < 10; ++i)
    if (count[static_cast<std::size_t>(i)] == 0) out.push_back(i);
  return out;
}
}  // namespace

TEST_CASE("the cost-stratified design puts a point in every log-cost decile of AutoPEFT's 12-layer space", "[space][design]") {
  using S = autopeft_space<12>;
  // The cheapest valid configuration: one layer, prefix length 1 (2·768); the dearest: every
  // layer with SA, PA and PT at 768.
  const double lo = 2 * 768.0, hi = 12 * (2 * 768.0 * 3 * 768 + 2 * (768 + 768));
  for (std::uint64_t seed : {0u, 1u, 7u}) {
    const auto design = sample_cost_stratified<S>(16, seed, autopeft_stored);
    REQUIRE(design.size() == 16);
    std::set<std::uint64_t> distinct;
    for (const auto& c : design) {
      CHECK(S::valid(c));
      distinct.insert(S::hash(c));
      CHECK(autopeft_stored(c) >= lo);
      CHECK(autopeft_stored(c) <= hi);
    }
    CHECK(distinct.size() == 16);
    INFO("seed " << seed);
    CHECK(empty_deciles(design, lo, hi).empty());
    // The same seed gives the same design.
    CHECK((sample_cost_stratified<S>(16, seed, autopeft_stored) == design));
  }
  // Plain Sobol points of the same size leave the cheap end empty: what the stratification is for.
  CHECK_FALSE(empty_deciles(sample_sobol<S>(16, 0), lo, hi).empty());
  // The first half of the design already spans the range (van der Corput order of the strata).
  const auto design = sample_cost_stratified<S>(16, 0, autopeft_stored);
  const std::vector<configuration> half(design.begin(), design.begin() + 8);
  CHECK(empty_deciles(half, lo, hi).size() <= 2);
  // A feasibility filter is honoured.
  const auto no_prefix =
      sample_cost_stratified<S>(16, 0, autopeft_stored, [](const configuration& c) { return S::get<"pt">(c) == 0; });
  for (const auto& c : no_prefix) CHECK(S::get<"pt">(c) == 0);
}

TEST_CASE("the default space: AutoPEFT's SA/PA/PT with LoRA on query and value, (IA)3 and the learning rate", "[space][default]") {
  using S = autopeft_lora_space<12>;
  static_assert(S::cardinality == 11ull * 11 * 11 * 8 * 2 * 6 * 4096);
  CHECK(S::cardinality == 523'370'496);
  CHECK(S::has("lr"));
  CHECK_FALSE(S::has("r"));
  // Valid: some module on and some layer on; counted by enumeration on 2 layers.
  CHECK(autopeft_lora_space<2>::count_valid() == (11 * 11 * 11 * 8 * 2 - 1) * 6 * 3);
  // The closed form for 12 layers, the same law.
  CHECK((11ull * 11 * 11 * 8 * 2 - 1) * 6 * 4095 == 523'218'150);
  // LoRA r=8 on every layer, nothing else: LoRA r=8 at query and value with lora_alpha 16, as
  // peft::hand_designed's "lora8".
  const auto c = S::from_json({{"sa", 0}, {"pa", 0}, {"pt", 0}, {"lora_r", 8}, {"ia3", 0}, {"lr", 1e-3}, {"layers", std::vector<bool>(12, true)}});
  const auto plan = to_plan(S{}, c, autopeft_lora_base_plan<12>());
  CHECK(plan.is_enabled<peft::lora>());
  CHECK_FALSE(plan.is_enabled<peft::serial_adapter>());
  CHECK(plan.get<peft::lora>().r() == 8);
  CHECK(plan.get<peft::lora>().lora_alpha() == 16);
  CHECK(plan.trainable_parameters(model::EncoderConfig::bert_base()) == 294'912);  // HF PEFT's figure
  CHECK(S::get<"lr">(c) == 1e-3);
  // (IA)3 alone, on every layer: HF PEFT's 64,512 trainable parameters on bert-base.
  const auto ia3 = S::from_json({{"sa", 0}, {"pa", 0}, {"pt", 0}, {"lora_r", 0}, {"ia3", 1}, {"lr", 3e-2}, {"layers", std::vector<bool>(12, true)}});
  CHECK(to_plan(S{}, ia3, autopeft_lora_base_plan<12>()).trainable_parameters(model::EncoderConfig::bert_base()) == 64'512);
  CHECK_THROWS_WITH(S::from_json({{"sa", 0}, {"pa", 0}, {"pt", 0}, {"lora_r", 3}, {"ia3", 0}, {"lr", 1e-3}, {"layers", std::vector<bool>(12, true)}}, "cfg"),
                    Catch::Contains("lora_r") && Catch::Contains("no value 3"));
  CHECK_THROWS_WITH(S::from_json({{"sa", 0}, {"pa", 0}, {"pt", 0}, {"lora_r", 0}, {"ia3", 0}, {"lr", 1e-3}, {"layers", std::vector<bool>(12, true)}}),
                    Catch::Contains("violates a constraint on 'sa', 'pa', 'pt', 'lora_r', 'ia3'"));
}
