// The hand-designed baselines (peft/hand_designed.hpp): the published parameter counts for
// bert-base, the closed-form count equal to the built model's for every method, identity at
// initialisation where the method has one, a learned change where it has none, and clear errors.
#include <autopeft/model.hpp>
#include <autopeft/peft/hand_designed.hpp>
#include <autopeft/peft/trainable.hpp>

#include "../support/small_encoder.hpp"

using namespace autopeft;
using model::EncoderConfig;

namespace {

EncoderConfig small() { return testing::small_encoder({.hidden = 48, .heads = 4, .ffn = 96, .positions = 64}); }

using family = peft::hand_designed_family;

}  // namespace

TEST_CASE("hand-designed methods: bert-base counts are the published ones", "[peft][hand_designed]") {
  const auto c = EncoderConfig::bert_base();
  auto count = [&](const char* name) { return peft::hand_designed(name, c).trainable_parameters(c, 109482240); };
  // HF PEFT's figures: LoRA r=8 on query and value 294,912 (the mission's documented figure minus
  // the 1,538 of the classifier); (IA)³ 64,512; BitFit 102,144 (bitfit.hpp).
  CHECK(count("lora8") == 294912);
  CHECK(count("lora16") == 2 * 294912);
  CHECK(count("ia3") == 64512);
  CHECK(count("bitfit") == 102144);
  // Pfeiffer adapter with reduction factor 16 (bottleneck 48): 12 · (768·48 + 48 + 48·768 + 768).
  CHECK(count("pfeiffer") == 12 * (768 * 48 + 48 + 48 * 768 + 768));
  // He et al.'s parallel adapter at the FFN, bottleneck 512.
  CHECK(count("parallel") == 12 * (768 * 512 + 512 + 512 * 768 + 768));
  // Prefix 30 with the MLP of width 512: P·H + (H·512 + 512) + (512·2LH + 2LH).
  CHECK(count("prefix") == 30 * 768 + (768 * 512 + 512) + (512 * 2 * 12 * 768 + 2 * 12 * 768));
  CHECK(count("mam") == 30 * 768 + (768 * 800 + 800) + (800 * 2 * 12 * 768 + 2 * 12 * 768) +
                            12 * (768 * 512 + 512 + 512 * 768 + 768));
  CHECK(count("full") == 109482240);
  CHECK(peft::hand_designed_names().size() == 10);
}

TEST_CASE("hand-designed methods: the closed-form count equals the built model's, and the laws hold", "[peft][hand_designed]") {
  const auto c = small();
  torch::manual_seed(3);
  model::SequenceClassifier<> base(c);
  {
    torch::NoGradGuard ng;  // biases and LayerNorms off their defaults, so BitFit's deltas are tested on real biases
    for (auto& p : base->named_parameters())
      if (p.key().find("bias") != std::string::npos || p.key().find("LayerNorm") != std::string::npos)
        p.value().add_(0.1 * torch::randn_like(p.value()));
  }
  base->eval();
  std::int64_t backbone_parameters = 0;
  for (auto& p : base->backbone->parameters()) backbone_parameters += p.numel();
  const auto ids = torch::randint(1, c.vocab_size, {3, 9}, torch::kLong);
  torch::Tensor expected;
  {
    torch::NoGradGuard ng;
    expected = base->backbone->forward(ids).last_hidden_state;
  }
  for (const auto& m : peft::hand_designed_methods(c)) {
    INFO(m.name);
    model::SequenceClassifier<family> net(c, m.plan);
    {
      torch::NoGradGuard ng;
      auto src = base->named_parameters();
      for (auto& p : net->named_parameters())
        if (src.contains(p.key())) p.value().copy_(src[p.key()]);
    }
    net->reset_peft(m.plan);
    net->eval();
    std::int64_t peft_count = 0;
    for (auto& p : net->named_parameters())
      if (peft::is_peft_parameter(p.key())) peft_count += p.value().numel();
    const auto closed = m.trainable_parameters(c, backbone_parameters);
    if (m.full_finetuning) {
      CHECK(peft_count == 0);
      CHECK(closed == backbone_parameters);
      continue;
    }
    CHECK(peft_count == closed);
    CHECK(peft_count > 0);
    const auto counts = peft::mark_trainable(net);
    CHECK(counts.trainable == closed + c.hidden_size * c.num_labels + c.num_labels);
    torch::NoGradGuard ng;
    const auto got = net->backbone->forward(ids).last_hidden_state;
    const double diff = (got - expected).abs().max().item<double>();
    // Zero-initialised up-projections, LoRA's zero B, (IA)³'s ones and BitFit's zero deltas leave
    // the backbone as it was; a prefix takes attention from its first step.
    const bool identity = m.name != "prefix" && m.name != "mam" && m.name != "unipelt";
    if (identity) CHECK(diff < 1e-5);
    else CHECK(diff > 1e-4);
  }
}

TEST_CASE("hand-designed methods: sizes follow the backbone, unknown names are errors", "[peft][hand_designed]") {
  auto c = EncoderConfig::bert_base();
  c.hidden_size = 384;
  CHECK(peft::hand_designed("pfeiffer", c).plan.get<peft::serial_adapter>().bottleneck_size() == 24);
  CHECK(peft::hand_designed("parallel", c).plan.get<peft::parallel_adapter>().bottleneck_size() == 256);
  CHECK(peft::hand_designed("mam", c).plan.is_enabled<peft::prefix_tuning>());
  CHECK(peft::hand_designed("mam", c).plan.is_enabled<peft::parallel_adapter>());
  CHECK_FALSE(peft::hand_designed("mam", c).plan.is_enabled<peft::lora>());
  CHECK(peft::hand_designed("lora16", c).plan.get<peft::lora>().r() == 16);
  try {
    (void)peft::hand_designed("houlsby", c);
    FAIL("no error");
  } catch (const error& e) {
    const std::string what = e.what();
    CHECK(what.find("'houlsby'") != std::string::npos);
    CHECK(what.find("lora8, lora16, pfeiffer") != std::string::npos);
  }
}
