#include <autopeft/model.hpp>
#include <autopeft/peft/lora.hpp>
#include <autopeft/peft/plan.hpp>
#include <autopeft/peft/trainable.hpp>

#include "../support/policy_laws.hpp"
#include "../support/small_encoder.hpp"

using namespace autopeft;
using model::EncoderConfig;

namespace {
EncoderConfig small() { return testing::small_encoder(); }
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
