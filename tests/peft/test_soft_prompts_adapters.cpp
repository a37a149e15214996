#include <autopeft/model.hpp>
#include <autopeft/peft/lora.hpp>
#include <autopeft/peft/parallel_adapter.hpp>
#include <autopeft/peft/plan.hpp>
#include <autopeft/peft/prefix_tuning.hpp>
#include <autopeft/peft/prompt_tuning.hpp>
#include <autopeft/peft/serial_adapter.hpp>
#include <autopeft/peft/trainable.hpp>

#include "../support/policy_laws.hpp"

using namespace autopeft;
using model::EncoderConfig;

namespace {
EncoderConfig small(model::architecture a = model::architecture::bert) {
  auto c = a == model::architecture::bert ? EncoderConfig::bert_base() : EncoderConfig::roberta_base();
  c.vocab_size = 50;
  c.hidden_size = 16;
  c.num_hidden_layers = 3;
  c.num_attention_heads = 2;
  c.intermediate_size = 24;
  c.max_position_embeddings = 40;
  c.hidden_dropout_prob = c.attention_probs_dropout_prob = 0;
  return c;
}

template <class Holder>
std::int64_t peft_numel(Holder& m) {
  std::int64_t n = 0;
  for (auto& p : m->named_parameters())
    if (peft::is_peft_parameter(p.key())) n += p.value().numel();
  return n;
}

// The toy task of tests/support/policy_laws.hpp. The backbone is re-initialised with a wide
// spread so that, frozen, it still carries the token identities a PEFT module must route to the
// head (a pretrained backbone would). Returns the loss before and after training.
template <class Holder>
std::pair<double, double> train_toy(Holder& m, const EncoderConfig& c, int steps = 80, double lr = 1e-2) {
  torch::manual_seed(5);
  m->backbone->init_weights(0.3);
  m->reset_peft(m->peft());
  peft::mark_trainable(m);
  return testing::toy_task(c).train(m, lr, steps, true);
}
}  // namespace

TEST_CASE("serial adapter placements and per-layer selection count as documented", "[peft][adapter]") {
  auto c = EncoderConfig::bert_base();
  CHECK(peft::serial_adapter{}.bottleneck_size(48).trainable_parameters(c) == 12 * (2 * 768 * 48 + 48 + 768));
  CHECK(peft::serial_adapter{}.bottleneck_size(48).placement(peft::serial_adapter::houlsby).trainable_parameters(c) ==
        24 * (2 * 768 * 48 + 48 + 768));
  CHECK(peft::parallel_adapter{}.bottleneck_size(96).layers_to_transform({0, 11}).trainable_parameters(c) ==
        2 * (2 * 768 * 96 + 96 + 768));
  auto s = small();
  using family = peft::plan<peft::serial_adapter>;
  family plan{peft::serial_adapter{}.bottleneck_size(3).placement(peft::serial_adapter::houlsby).layers_to_transform({1})};
  model::EncoderModel<family> m(s, plan);
  CHECK(peft_numel(m) == plan.trainable_parameters(s));
  CHECK(!m->layers[0]->hooks().module<peft::serial_adapter>());
  CHECK(m->layers[1]->hooks().module<peft::serial_adapter>());
}

TEST_CASE("prompt tuning prepends virtual tokens; counts; learning", "[peft][prompt]") {
  for (auto arch : {model::architecture::bert, model::architecture::roberta}) {
    auto c = small(arch);
    using family = peft::plan<peft::prompt_tuning>;
    const family plan{peft::prompt_tuning{}.num_virtual_tokens(3)};
    model::EncoderModel<family> m(c, plan);
    m->eval();
    auto ids = torch::randint(3, c.vocab_size, {2, 5}, torch::kLong);
    auto out = m->forward(ids);
    CHECK(out.last_hidden_state.sizes() == torch::IntArrayRef({2, 8, 16}));
    CHECK(out.attention_mask.sizes() == torch::IntArrayRef({2, 8}));
    CHECK(peft_numel(m) == 3 * 16);
    CHECK(plan.trainable_parameters(c) == 3 * 16);
  }
  CHECK(peft::prompt_tuning{}.num_virtual_tokens(20).trainable_parameters(EncoderConfig::bert_base()) == 20 * 768);
  auto c = small();
  using family = peft::plan<peft::prompt_tuning>;
  model::SequenceClassifier<family> m(c, family{peft::prompt_tuning{}.num_virtual_tokens(4)});
  auto [first, last] = train_toy(m, c, 120, 3e-2);
  CHECK(last < 0.7 * first);
}

TEST_CASE("prompt tuning's TEXT initialisation copies word embeddings", "[peft][prompt]") {
  auto c = small();
  using family = peft::plan<peft::prompt_tuning>;
  model::EncoderModel<family> m(c, family{peft::prompt_tuning{}.num_virtual_tokens(3).init_token_ids({7, 9})});
  auto named = m->named_parameters();
  auto prompt = named["embeddings.peft.prompt_tuning.embedding.weight"];
  auto words = named["embeddings.word_embeddings.weight"];
  CHECK(torch::equal(prompt[0], words[7]));
  CHECK(torch::equal(prompt[1], words[9]));
  CHECK(torch::equal(prompt[2], words[7]));
}

TEST_CASE("prefix tuning: keys and values per layer, counts with and without projection", "[peft][prefix]") {
  auto big = EncoderConfig::bert_base();
  CHECK(peft::prefix_tuning{}.num_virtual_tokens(20).trainable_parameters(big) == 20 * 2 * 12 * 768);
  CHECK(peft::prefix_tuning{}.num_virtual_tokens(10).prefix_projection(true).encoder_hidden_size(800)
            .trainable_parameters(big) == 10 * 768 + (768 * 800 + 800) + (800 * 2 * 12 * 768 + 2 * 12 * 768));
  for (bool projection : {false, true}) {
    INFO("projection " << projection);
    auto c = small();
    using family = peft::plan<peft::prefix_tuning>;
    const family plan{peft::prefix_tuning{}.num_virtual_tokens(4).prefix_projection(projection).encoder_hidden_size(8)
                          .layers_to_transform({0, 2})};
    model::SequenceClassifier<family> m(c, plan);
    CHECK(peft_numel(m) == plan.trainable_parameters(c));
    CHECK(m->backbone->layers[0]->hooks().module<peft::prefix_tuning>());
    CHECK(!m->backbone->layers[1]->hooks().module<peft::prefix_tuning>());
    auto [first, last] = train_toy(m, c, 100, 1e-2);
    CHECK(last < 0.5 * first);
  }
}

TEST_CASE("prefix tuning: the stored count is the folded prefix, with or without the MLP", "[peft][prefix]") {
  auto big = EncoderConfig::bert_base();
  // The MLP trains the prefix and is dropped after: 10 · 2 · 12 · 768 stored either way.
  const auto mlp = peft::prefix_tuning{}.num_virtual_tokens(10).prefix_projection(true).encoder_hidden_size(800);
  CHECK(mlp.stored_parameters(big) == 10 * 2 * 12 * 768);
  CHECK(mlp.trainable_parameters(big) > mlp.stored_parameters(big));
  CHECK(mlp.folded().stored_parameters(big) == mlp.stored_parameters(big));
  CHECK(mlp.folded().trainable_parameters(big) == mlp.stored_parameters(big));
  CHECK(peft::stored_parameters_of(peft::prefix_tuning(mlp).layers_to_transform({0, 5, 11}), big) == 10 * 2 * 3 * 768);
  const auto plain = peft::prefix_tuning{}.num_virtual_tokens(20);
  CHECK(plain.stored_parameters(big) == plain.trainable_parameters(big));
  // A policy without stored_parameters stores what it trains; a plan sums the enabled ones.
  const auto adapter = peft::serial_adapter{}.bottleneck_size(48);
  CHECK(peft::stored_parameters_of(adapter, big) == adapter.trainable_parameters(big));
  peft::plan<peft::serial_adapter, peft::prefix_tuning> both{adapter, mlp};
  CHECK(both.stored_parameters(big) == adapter.trainable_parameters(big) + 10 * 2 * 12 * 768);
  both.enable<peft::prefix_tuning>(false);
  CHECK(both.stored_parameters(big) == adapter.trainable_parameters(big));

  // Counted on a built model: the encoder's stored form replaces its MLP and P × H embedding.
  auto c = small();
  using family = peft::plan<peft::prefix_tuning>;
  const family plan{peft::prefix_tuning{}.num_virtual_tokens(4).prefix_projection(true).encoder_hidden_size(8)
                        .layers_to_transform({0, 2})};
  model::SequenceClassifier<family> m(c, plan);
  std::int64_t stored = peft_numel(m), folding = 0;
  family::for_each_folding_module(*m, [&](const std::string& path, peft::prefix_encoder& e) {
    ++folding;
    CHECK(path == "bert.embeddings.peft.prefix_tuning");
    for (const auto& p : e.parameters()) stored -= p.numel();
    stored += e.stored_parameters();
    const auto state = e.stored_state();
    REQUIRE(state.size() == 1);
    CHECK(state[0].first == "embedding.weight");
    CHECK(state[0].second.sizes() == torch::IntArrayRef{4, 2 * 2 * c.hidden_size});
    CHECK(torch::equal(state[0].second, e.prefix()));
  });
  CHECK(folding == 1);
  CHECK(stored == plan.stored_parameters(c));
  CHECK(stored == 4 * 2 * 2 * c.hidden_size);
  CHECK(peft_numel(m) == plan.trainable_parameters(c));
}

TEST_CASE("prefix tuning: padding stays inert with a prefix attached", "[peft][prefix]") {
  // The real tokens' outputs do not change when padding is appended: the mask still applies
  // after the prefix keys are prepended.
  auto c = small();
  using family = peft::plan<peft::prefix_tuning>;
  model::EncoderModel<family> m(c, family{peft::prefix_tuning{}.num_virtual_tokens(2)});
  m->eval();
  torch::NoGradGuard ng;
  auto ids = torch::randint(3, c.vocab_size, {2, 5}, torch::kLong);
  auto a = m->forward(ids).last_hidden_state;
  auto padded = torch::cat({ids, torch::zeros({2, 3}, torch::kLong)}, 1);
  auto mask = torch::cat({torch::ones({2, 5}, torch::kLong), torch::zeros({2, 3}, torch::kLong)}, 1);
  auto b = m->forward(padded, mask).last_hidden_state.slice(1, 0, 5);
  CHECK((a - b).abs().max().template item<double>() < 1e-5);
}

TEST_CASE("composition: MAM adapter and AutoPEFT's SA+PA+PT with per-layer switches", "[peft][compose]") {
  auto c = small();
  using mam = peft::plan<peft::prefix_tuning, peft::parallel_adapter>;
  const mam mplan{peft::prefix_tuning{}.num_virtual_tokens(3), peft::parallel_adapter{}.bottleneck_size(4)};
  model::SequenceClassifier<mam> m(c, mplan);
  CHECK(peft_numel(m) == mplan.trainable_parameters(c));
  auto [first, last] = train_toy(m, c);
  CHECK(last < 0.5 * first);

  using sapapt = peft::plan<peft::serial_adapter, peft::parallel_adapter, peft::prefix_tuning>;
  sapapt plan{peft::serial_adapter{}.bottleneck_size(2), peft::parallel_adapter{}.bottleneck_size(3),
              peft::prefix_tuning{}.num_virtual_tokens(2).layers_to_transform({0, 2})};
  plan.layers_on({true, false, true});
  model::SequenceClassifier<sapapt> a(c, plan);
  CHECK(!a->backbone->layers[1]->hooks().module<peft::serial_adapter>());
  CHECK(!a->backbone->layers[1]->hooks().module<peft::parallel_adapter>());
  CHECK(a->backbone->layers[2]->hooks().module<peft::parallel_adapter>());
  const auto per_layer = peft::bottleneck::count(16, 2) + peft::bottleneck::count(16, 3);
  CHECK(peft_numel(a) == 2 * per_layer + peft::prefix_tuning{}.num_virtual_tokens(2).layers_to_transform({0, 2}).trainable_parameters(c));
  // The closed form follows the switch only through each policy's layers_to_transform: the
  // adapters still cover layer 1, so the count is refused rather than wrong ...
  CHECK_THROWS_WITH(plan.trainable_parameters(c), Catch::Contains("turns layer 1 off, but policy 'serial_adapter' would still count it"));
  CHECK_THROWS_WITH(plan.stored_parameters(c), Catch::Contains("layers_to_transform is empty"));
  // ... and with the lists set as space::to_plan sets them, it is the built model's count.
  plan.get<peft::serial_adapter>().layers_to_transform({0, 2});
  plan.get<peft::parallel_adapter>().layers_to_transform({0, 2});
  CHECK(plan.trainable_parameters(c) == peft_numel(a));
  plan.get<peft::parallel_adapter>().layers_to_transform({0, 1, 2});
  CHECK_THROWS_WITH(plan.trainable_parameters(c), Catch::Contains("'parallel_adapter' would still count it: its layers_to_transform lists layer 1"));
}

TEST_CASE("an absent policy costs nothing: the plain backbone holds no PEFT state", "[peft][compose]") {
  static_assert(std::is_empty_v<model::no_peft::layer_hooks>);
  static_assert(std::is_empty_v<model::no_peft::embedding_hooks>);
  using only_lora = peft::plan<peft::lora>;
  // A LoRA-only family has one slot per layer, and no parameter outside its LoRA modules.
  model::EncoderModel<only_lora> m(small(), only_lora{peft::lora{}.r(2)});
  for (auto& p : m->named_parameters())
    if (peft::is_peft_parameter(p.key())) CHECK(p.key().find(".peft.lora.") != std::string::npos);
  model::EncoderModel<> plain(small());
  for (auto& p : plain->named_parameters()) CHECK(!peft::is_peft_parameter(p.key()));
}

TEST_CASE("reset_peft rebuilds PEFT modules without touching the backbone", "[peft][compose]") {
  auto c = small();
  using family = peft::plan<peft::lora, peft::parallel_adapter>;
  model::SequenceClassifier<family> m(c, family{peft::lora{}.r(2), peft::parallel_adapter{}.bottleneck_size(2)});
  auto before = m->backbone->layers[0]->query->weight;
  const auto* data = before.data_ptr<float>();
  m->reset_peft(family{peft::lora{}.r(6).target_modules({"key"}), peft::parallel_adapter{}.bottleneck_size(5)});
  CHECK(m->backbone->layers[0]->query->weight.data_ptr<float>() == data);
  CHECK(peft_numel(m) == family{peft::lora{}.r(6).target_modules({"key"}), peft::parallel_adapter{}.bottleneck_size(5)}
                             .trainable_parameters(c));
}
