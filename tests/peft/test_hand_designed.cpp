// The hand-designed baselines (peft/hand_designed.hpp): the published parameter counts for
// bert-base, the closed-form count equal to the built model's for every method, identity at
// initialisation where the method has one, a learned change where it has none, and clear errors.
#include <autopeft/model.hpp>
#include <autopeft/peft/hand_designed.hpp>
#include <autopeft/peft/stored_state.hpp>
#include <autopeft/peft/trainable.hpp>
#include <autopeft/space/spaces/autopeft_space.hpp>

#include "../support/small_encoder.hpp"

#include <random>

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
  // Stored after training: the prefix's MLP is not, the prefix 30 · 2 · 12 · 768 is.
  auto stored = [&](const char* name) { return peft::hand_designed(name, c).plan.stored_parameters(c); };
  CHECK(stored("prefix") == 30 * 2 * 12 * 768);
  CHECK(stored("mam") == 30 * 2 * 12 * 768 + 12 * (768 * 512 + 512 + 512 * 768 + 768));
  for (const auto* name : {"lora8", "lora16", "pfeiffer", "parallel", "unipelt", "ia3", "bitfit"}) {
    INFO(name);
    CHECK(stored(name) == count(name));
  }
}

TEST_CASE("AutoPEFT's cost law: SA/PA/PT store the reference's 2·H·layers·(sa + pa + pt) plus the adapters' biases",
          "[peft][hand_designed][cost]") {
  // The reference prices a configuration by the parameters stored after training, in closed form
  // 2·H·layers_on·(sa + pa + pt) without the adapters' biases; autopeft counts the biases (they
  // are stored too): per layer on, sa + H for an SA and pa + H for a PA. The prefix's MLP (width
  // 800 in the base plan) trains but is not stored.
  using S = space::autopeft_space<12>;
  const auto c = EncoderConfig::bert_base();
  const std::int64_t h = c.hidden_size;
  std::mt19937_64 rng(18);
  int with_prefix = 0;
  for (int i = 0; i < 300; ++i) {
    const auto x = S::sample(rng);
    const auto j = S::to_json(x);
    INFO(j.dump());
    const auto sa = static_cast<std::int64_t>(j["sa"].get<double>()), pa = static_cast<std::int64_t>(j["pa"].get<double>()),
               pt = static_cast<std::int64_t>(j["pt"].get<double>());
    std::int64_t layers = 0;
    for (const bool on : j["layers"].get<std::vector<bool>>()) layers += on ? 1 : 0;
    const auto plan = space::to_plan(S{}, x, space::autopeft_base_plan<12>());
    const auto expected = 2 * h * layers * (sa + pa + pt) + layers * ((sa > 0 ? sa + h : 0) + (pa > 0 ? pa + h : 0));
    CHECK(plan.stored_parameters(c) == expected);
    if (pt > 0) {
      ++with_prefix;
      CHECK(plan.trainable_parameters(c) > expected);
    } else {
      CHECK(plan.trainable_parameters(c) == expected);
    }
  }
  CHECK(with_prefix > 100);
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
    std::int64_t stored = 0;  // what save_adapter's stored form holds
    for (const auto& t : peft::stored_state(net))
      if (peft::is_peft_parameter(t.name)) stored += t.value.numel();
    CHECK(stored == m.plan.stored_parameters(c));
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
