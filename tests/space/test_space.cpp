#include <autopeft/model.hpp>
#include <autopeft/peft/lora.hpp>
#include <autopeft/peft/prompt_tuning.hpp>
#include <autopeft/space/binary.hpp>
#include <autopeft/space/categorical.hpp>
#include <autopeft/space/conditional.hpp>
#include <autopeft/space/continuous.hpp>
#include <autopeft/space/family.hpp>
#include <autopeft/space/integer_range.hpp>
#include <autopeft/space/spaces/autopeft_space.hpp>

#include <random>
#include <set>

using namespace autopeft;
using namespace autopeft::space;

namespace {
using mixed = search_space<binary<"flag">, ordinal<"size", 0, 4, 16>, categorical<"act", "relu", "gelu", "tanh">,
                           integer_range<"depth", 2, 5>, continuous<"lr", 1e-5, 1e-2, true>,
                           conditional<integer_range<"heads", 1, 3>, "act", 1>, not_all_zero<"flag", "size">>;
using finite = search_space<binary<"flag">, ordinal<"size", 0, 4, 16>, categorical<"act", "relu", "gelu", "tanh">,
                            conditional<integer_range<"heads", 1, 3>, "act", 1>, layer_mask<"layers", 3>,
                            not_all_zero<"flag", "size">, not_all_zero<"layers">>;
}  // namespace

TEST_CASE("AutoPEFT's space: 5,451,776 points and 5,446,350 valid ones for 12 layers", "[space][autopeft]") {
  using S = autopeft_space<12>;
  static_assert(S::cardinality == 5'451'776);  // computed by the compiler
  static_assert(S::num_components == 3 + 12);
  CHECK(S::count_valid() == 5'446'350);
  // Small layer counts checked against the closed form (11³ - 1)(2^L - 1).
  CHECK(autopeft_space<2>::count_valid() == (11 * 11 * 11 - 1) * 3);
  CHECK(autopeft_space<3>::count_valid() == (11 * 11 * 11 - 1) * 7);
}

TEST_CASE("dimension kinds: values, encoding, decoding and JSON", "[space][dimension]") {
  static_assert(mixed::num_dims == 6 && mixed::num_components == 6);
  static_assert(!mixed::finite && mixed::cardinality == 0);
  static_assert(finite::cardinality == 2 * 3 * 3 * 3 * 8);
  auto j = nlohmann::json{{"flag", true}, {"size", 16}, {"act", "gelu"}, {"depth", 4}, {"lr", 1e-3}, {"heads", 2}};
  auto c = mixed::from_json(j, "test.json");
  CHECK(mixed::get<"flag">(c) == true);
  CHECK(mixed::get<"size">(c) == 16);
  CHECK(mixed::get<"act">(c) == "gelu");
  CHECK(mixed::get<"depth">(c) == 4);
  CHECK(mixed::get<"lr">(c) == Approx(1e-3));
  CHECK(mixed::get<"heads">(c) == 2);
  CHECK(mixed::to_json(c) == j);
  auto u = mixed::encode(c);
  CHECK(u[0] == 1.0);                     // binary
  CHECK(u[1] == 1.0);                     // ordinal: rank 2 of 0..2
  CHECK(u[2] == 0.5);                     // categorical index 1 of 0..2
  CHECK(u[3] == Approx(2.0 / 3.0));       // integer 4 in [2, 5]
  CHECK(u[4] == Approx(2.0 / 3.0));       // log scale: 1e-3 in [1e-5, 1e-2]
  CHECK(u[5] == 0.5);                     // heads 2 in [1, 3]
  for (double x : u) CHECK((x >= 0 && x <= 1));
  auto back = mixed::decode(u);
  for (std::size_t k = 0; k < c.x.size(); ++k) CHECK(back.x[k] == Approx(c.x[k]).epsilon(1e-12));
}

TEST_CASE("conditional dimensions are active only for their parent's levels", "[space][conditional]") {
  auto relu = mixed::from_json({{"flag", true}, {"size", 0}, {"act", "relu"}, {"depth", 2}, {"lr", 1e-4}});
  CHECK(!mixed::active(5, relu));
  CHECK(!mixed::to_json(relu).contains("heads"));
  CHECK_THROWS_WITH(mixed::from_json({{"flag", true}, {"size", 0}, {"act", "gelu"}, {"depth", 2}, {"lr", 1e-4}}, "c.json"),
                    Catch::Contains("c.json: dimension 'heads' is missing"));
  // An inactive dimension away from its level 0 is not canonical, hence invalid.
  auto bad = relu;
  bad.x[5] = 3;
  CHECK(!mixed::valid(bad));
  CHECK(mixed::canonical(bad) == relu);
  CHECK(mixed::hash(mixed::canonical(bad)) == mixed::hash(relu));
}

TEST_CASE("constraints and JSON errors", "[space][constraints]") {
  CHECK_THROWS_WITH(mixed::from_json({{"flag", false}, {"size", 0}, {"act", "relu"}, {"depth", 2}, {"lr", 1e-4}}, "c.json"),
                    Catch::Contains("violates a constraint on 'flag', 'size'"));
  CHECK_THROWS_WITH(mixed::from_json({{"flag", true}, {"size", 5}, {"act", "relu"}, {"depth", 2}, {"lr", 1e-4}}, "c.json"),
                    Catch::Contains("dimension 'size' has no value 5; allowed: 0, 4, 16"));
  CHECK_THROWS_WITH(mixed::from_json({{"flag", true}, {"size", 4}, {"act", "elu"}, {"depth", 2}, {"lr", 1e-4}}, "c.json"),
                    Catch::Contains("has no choice 'elu'; choices: 'relu', 'gelu', 'tanh'"));
  CHECK_THROWS_WITH(mixed::from_json({{"flag", true}, {"size", 4}, {"act", "relu"}, {"depth", 9}, {"lr", 1e-4}}, "c.json"),
                    Catch::Contains("'depth' is 9, outside [2, 5]"));
  CHECK_THROWS_WITH(mixed::from_json({{"flag", true}, {"size", 4}, {"act", "relu"}, {"depth", 2}, {"lr", 1.0}}, "c.json"),
                    Catch::Contains("'lr' is 1.0, outside"));
  CHECK_THROWS_WITH(mixed::from_json({{"flag", true}, {"sise", 4}}, "c.json"), Catch::Contains("unknown dimension 'sise'"));
}

TEST_CASE("enumeration, sampling, neighbours and hashing on a finite space", "[space][runtime]") {
  std::set<std::uint64_t> hashes;
  std::uint64_t all = 0;
  finite::enumerate_all([&](const configuration&) { ++all; });
  CHECK(all == finite::cardinality);
  // Valid: (flag, size) not both zero: 5 of 6; act: relu/tanh 1 way, gelu 3 heads -> 5; layers 7 of 8.
  std::uint64_t brute = 0;
  finite::enumerate([&](const configuration& c) {
    ++brute;
    CHECK(hashes.insert(finite::hash(c)).second);  // no collisions, no duplicates
    CHECK(finite::from_json(finite::to_json(c)) == c);
  });
  CHECK(brute == 5 * 5 * 7);
  CHECK(finite::count_valid() == brute);

  std::mt19937_64 rng(1);
  std::map<std::uint64_t, int> seen;
  for (int i = 0; i < 4000; ++i) {
    auto c = finite::sample(rng);
    REQUIRE(finite::valid(c));
    ++seen[finite::hash(c)];
  }
  CHECK(seen.size() == brute);  // every valid point is reachable

  auto c = finite::from_json({{"flag", true}, {"size", 4}, {"act", "gelu"}, {"heads", 1}, {"layers", {true, false, false}}});
  auto n = finite::neighbours(c);
  // flag off (size 4 keeps it valid), size 0/16, act relu/tanh, heads 2, layers 1 or 2 on; not layer 0 off.
  CHECK(n.size() == 1 + 2 + 2 + 1 + 2);
  for (auto& m : n) {
    CHECK(finite::valid(m));
    std::size_t changed = 0;
    for (std::size_t k = 0; k < c.x.size(); ++k) changed += m.x[k] != c.x[k];
    CHECK(changed >= 1);
  }
}

TEST_CASE("the AutoPEFT space's neighbours are AutoPEFT's one-dimension moves", "[space][autopeft]") {
  using S = autopeft_space<12>;
  auto j = nlohmann::json{{"sa", 48}, {"pa", 0}, {"pt", 768}, {"layers", std::vector<bool>(12, true)}};
  auto c = S::from_json(j);
  auto n = S::neighbours(c);
  CHECK(n.size() == 2 + 1 + 1 + 12);  // sa 24/96, pa 1, pt 384, each layer off
  std::mt19937_64 rng(3);
  for (int i = 0; i < 200; ++i) {
    auto s = S::sample(rng);
    CHECK(S::valid(s));
    for (auto& m : S::neighbours(s)) CHECK(S::valid(m));
  }
}

TEST_CASE("to_plan specialises the family's model; absent policies compile to nothing", "[space][family]") {
  using S = autopeft_space<3>;
  using family = family_t<S>;
  static_assert(std::is_same_v<family, peft::plan<peft::serial_adapter, peft::parallel_adapter, peft::prefix_tuning>>);
  static_assert(!family::contains<peft::lora>);
  static_assert(!family::contains<peft::prompt_tuning>);
  auto config = model::EncoderConfig::bert_base();
  config.hidden_size = 16;
  config.num_attention_heads = 2;
  config.intermediate_size = 32;
  config.num_hidden_layers = 3;
  config.vocab_size = 30;
  auto c = S::from_json({{"sa", 3}, {"pa", 0}, {"pt", 6}, {"layers", {true, false, true}}});
  auto plan = to_plan(S{}, c, autopeft_base_plan<3>());
  CHECK(plan.is_enabled<peft::serial_adapter>());
  CHECK(!plan.is_enabled<peft::parallel_adapter>());
  CHECK(plan.get<peft::serial_adapter>().bottleneck_size() == 3);
  CHECK(plan.get<peft::prefix_tuning>().num_virtual_tokens() == 6);
  model::SequenceClassifier<family> m(config, plan);
  std::int64_t peft_params = 0;
  for (auto& p : m->named_parameters()) {
    if (("." + p.key()).find(".peft.") == std::string::npos) continue;
    peft_params += p.value().numel();
    CHECK(p.key().find("parallel_adapter") == std::string::npos);
    CHECK(p.key().find("encoder.layer.1.") == std::string::npos);
  }
  CHECK(peft_params == plan.trainable_parameters(config));
  CHECK(peft_params == 2 * (2 * 16 * 3 + 3 + 16) + (6 * 16 + (16 * 800 + 800) + (800 * 2 * 2 * 16 + 2 * 2 * 16)));
  // A new configuration of the family reuses the resident backbone: same tensors, same storage.
  const auto* word = m->backbone->embeddings->word_embeddings->weight.data_ptr<float>();
  const auto* q2 = m->backbone->layers[2]->query->weight.data_ptr<float>();
  m->reset_peft(to_plan(S{}, S::from_json({{"sa", 0}, {"pa", 12}, {"pt", 0}, {"layers", {false, true, false}}}),
                        autopeft_base_plan<3>()));
  CHECK(m->backbone->embeddings->word_embeddings->weight.data_ptr<float>() == word);
  CHECK(m->backbone->layers[2]->query->weight.data_ptr<float>() == q2);
  CHECK(m->backbone->layers[1]->hooks().module<peft::parallel_adapter>());
  CHECK(!m->backbone->layers[0]->hooks().module<peft::parallel_adapter>());
  CHECK(!m->backbone->layers[1]->hooks().module<peft::serial_adapter>());
}
