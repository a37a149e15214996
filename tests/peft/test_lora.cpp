#include <autopeft/model.hpp>
#include <autopeft/peft/disable_adapter.hpp>
#include <autopeft/peft/lora.hpp>
#include <autopeft/peft/merge_adapter.hpp>
#include <autopeft/peft/merge_and_unload.hpp>
#include <autopeft/peft/plan.hpp>
#include <autopeft/peft/prompt_tuning.hpp>
#include <autopeft/peft/serial_adapter.hpp>
#include <autopeft/peft/trainable.hpp>
#include <autopeft/peft/unload.hpp>
#include <autopeft/peft/unmerge_adapter.hpp>

#include "../support/policy_laws.hpp"
#include "../support/small_encoder.hpp"

using namespace autopeft;
using model::EncoderConfig;

namespace {
EncoderConfig small() { return testing::small_encoder(); }

/// LoRA and DoRA on every linear site (move them off their initial values with perturb_peft).
peft::lora managed_lora(bool dora) {
  return peft::lora{}.r(4).use_dora(dora).target_modules(
      {"query", "key", "value", "attention.output.dense", "intermediate.dense", "output.dense"});
}

torch::Tensor hidden(auto& model, const torch::Tensor& ids) { return model->backbone->forward(ids).last_hidden_state; }

/// A classifier with `managed_lora(dora)` moved off its initial values, its base and input ids.
struct managed {
  model::SequenceClassifier<> base;
  testing::classifier<peft::lora> model;
  torch::Tensor ids;
  managed(std::uint64_t seed, bool dora)
      : base((torch::manual_seed(seed), testing::base_model(small()))),
        model(testing::copy_of(base, managed_lora(dora))),
        ids(torch::randint(1, small().vocab_size, {3, 7}, torch::kLong)) {
    testing::perturb_peft(*model, 0.3);
  }
};

/// The encoder's base parameters (no `.peft.` component), cloned.
std::map<std::string, torch::Tensor> base_weights(torch::nn::Module& m) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& p : m.named_parameters())
    if (!peft::is_peft_parameter(p.key())) out[p.key()] = p.value().detach().clone();
  return out;
}
}  // namespace

TEST_CASE("LoRA r=8 on query/value of bert-base: HF's documented count", "[peft][lora]") {
  using family = peft::plan<peft::lora>;
  family p{peft::lora{}.r(8).target_modules({"query", "value"})};
  auto c = EncoderConfig::bert_base();
  CHECK(p.trainable_parameters(c) == 294'912);
  model::SequenceClassifier<family> m(c, p);
  auto counts = peft::mark_trainable(m);
  CHECK(counts.trainable == 296'450);
  CHECK(counts.str() == "trainable params: 296,450 || all params: 109,778,690 || trainable%: 0.2700");
}

TEST_CASE("LoRA: zero-initialised B leaves outputs unchanged; merge and unmerge are exact", "[peft][lora]") {
  for (bool dora : {false, true}) {
    INFO("dora " << dora);
    const auto policy = peft::lora{}.r(4).use_dora(dora).target_modules({"query", "value", "output.dense"});
    testing::check_identity_at_init(policy, small());
    // A non-zero update: merged equals unmerged.
    testing::check_merge(policy, small(), [](torch::nn::Module& m) {
      torch::NoGradGuard ng;
      for (auto& p : m.named_parameters())
        if (p.key().find("lora_B") != std::string::npos || p.key().find("magnitude") != std::string::npos)
          p.value().add_(torch::randn_like(p.value()));
    });
  }
}

// LoRA's own learning law is in the law suite (test_linear_policies.cpp).
TEST_CASE("DoRA: gradients reach only its parameters and the head, and the loss falls", "[peft][lora]") {
  testing::check_learns(peft::lora{}.r(4).lora_alpha(8).use_dora(true).target_modules({"query", "value"}), small(),
                        {.beats_head = false});
}

TEST_CASE("merge_and_unload on the encoder keeps the outputs and leaves no PEFT parameter", "[peft][lora][manage]") {
  for (bool dora : {false, true}) {
    INFO("dora " << dora);
    managed m(31, dora);
    torch::NoGradGuard ng;
    const auto adapted = hidden(m.model, m.ids);
    const auto logits = m.model->forward(m.ids);
    REQUIRE(testing::max_diff(adapted, hidden(m.base, m.ids)) > 1e-3);
    peft::merge_and_unload(*m.model);
    CHECK(testing::max_diff(hidden(m.model, m.ids), adapted) < 1e-5);
    CHECK(testing::max_diff(m.model->forward(m.ids), logits) < 1e-5);
    CHECK(testing::peft_parameters(*m.model) == 0);
    CHECK(m.model->parameters().size() == m.base->parameters().size());
  }
}

TEST_CASE("unload on the encoder gives the base model back bit for bit", "[peft][lora][manage]") {
  managed m(32, true);
  torch::NoGradGuard ng;
  REQUIRE(testing::max_diff(hidden(m.model, m.ids), hidden(m.base, m.ids)) > 1e-3);
  peft::unload(*m.model);
  CHECK(torch::equal(hidden(m.model, m.ids), hidden(m.base, m.ids)));
  CHECK(torch::equal(m.model->forward(m.ids), m.base->forward(m.ids)));
  CHECK(testing::peft_parameters(*m.model) == 0);
}

TEST_CASE("merge_adapter then unmerge_adapter on the encoder restores the base weights", "[peft][lora][manage]") {
  for (bool dora : {false, true}) {
    INFO("dora " << dora);
    managed m(33, dora);
    auto& model = m.model;
    const auto& ids = m.ids;
    torch::NoGradGuard ng;
    const auto adapted = model->forward(ids);
    const auto adapted_hidden = hidden(model, ids);
    const auto before = base_weights(*model);
    peft::merge_adapter(*model);     // outputs unchanged, adapters idle
    auto merged = model->forward(ids);
    peft::unmerge_adapter(*model);   // the base weights are the original ones again
    CHECK(testing::max_diff(merged, adapted) < 1e-5);
    CHECK(testing::max_diff(model->forward(ids), adapted) < 1e-5);
    CHECK(testing::max_diff(hidden(model, ids), adapted_hidden) < 1e-5);
    for (const auto& [k, v] : base_weights(*model)) {
      INFO(k);
      CHECK(testing::max_diff(v, before.at(k)) < 1e-5);
    }
  }
}

TEST_CASE("inside disable_adapter the encoder computes the base outputs; gradients flow after it",
          "[peft][lora][manage]") {
  managed m(34, false);
  auto& model = m.model;
  const auto& ids = m.ids;
  const auto expected = m.base->forward(ids).detach();
  const auto adapted = model->forward(ids).detach();
  REQUIRE(testing::max_diff(adapted, expected) > 1e-3);
  torch::Tensor base_logits;
  {
    peft::disable_adapter off(*model);
    base_logits = model->forward(ids);    // the backbone's outputs, no adapter
  }
  auto logits = model->forward(ids);      // adapted again
  CHECK(torch::equal(base_logits, expected));
  CHECK(torch::equal(logits, adapted));
  {
    peft::disable_adapter off(*model);
    model->forward(ids).sum().backward();
  }
  for (const auto& p : model->named_parameters())
    if (peft::is_peft_parameter(p.key())) CHECK_FALSE(p.value().grad().defined());
  logits.sum().backward();
  for (const auto& p : model->named_parameters())
    if (peft::is_peft_parameter(p.key())) {
      INFO(p.key());
      REQUIRE(p.value().grad().defined());
      CHECK(p.value().grad().abs().sum().item<double>() > 0);
    }
  // Model-level modules are switched off too: no virtual tokens are prepended.
  auto prompted = testing::copy_of(m.base, peft::prompt_tuning{}.num_virtual_tokens(3));
  torch::NoGradGuard ng;
  REQUIRE(testing::max_diff(prompted->forward(ids), expected) > 1e-4);
  peft::disable_adapter off(*prompted);
  CHECK(torch::equal(prompted->forward(ids), expected));
}

TEST_CASE("merging an encoder that holds a non-mergeable adapter names it and changes nothing", "[peft][lora][manage]") {
  using mixed = peft::plan<peft::lora, peft::serial_adapter>;
  torch::manual_seed(35);
  model::SequenceClassifier<mixed> model(small(), mixed{managed_lora(false), peft::serial_adapter{}.bottleneck_size(4)});
  const auto before = base_weights(*model);
  const std::string names_it = "adapter 'serial_adapter' at 'bert.encoder.layer.0.peft' cannot be merged";
  CHECK_THROWS_WITH(peft::merge_and_unload(*model), Catch::Contains(names_it) && Catch::Contains("use peft::unload"));
  CHECK_THROWS_WITH(peft::merge_adapter(*model), Catch::Contains(names_it) && Catch::Contains("use peft::unload"));
  for (const auto& [k, v] : base_weights(*model)) {
    INFO(k);
    CHECK(torch::equal(v, before.at(k)));
  }
  CHECK(testing::peft_parameters(*model) > 0);
  // unload drops it all.
  peft::unload(*model);
  CHECK(testing::peft_parameters(*model) == 0);
  CHECK_THROWS_WITH(peft::merge_and_unload(*model::SequenceClassifier<>(small())),
                    Catch::Contains("the module holds no adapters"));
}
