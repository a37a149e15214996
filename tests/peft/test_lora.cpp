#include <autopeft/model.hpp>
#include <autopeft/peft/lora.hpp>
#include <autopeft/peft/plan.hpp>
#include <autopeft/peft/trainable.hpp>

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
  torch::manual_seed(0);
  auto c = small();
  model::SequenceClassifier<> base(c);
  using family = peft::plan<peft::lora>;
  for (bool dora : {false, true}) {
    INFO("dora " << dora);
    const family plan{peft::lora{}.r(4).use_dora(dora).target_modules({"query", "value", "output.dense"})};
    model::SequenceClassifier<family> m(c, plan);
    torch::NoGradGuard ng;
    // Same backbone and head weights as `base`; then the PEFT modules are rebuilt on them.
    auto src = base->named_parameters();
    for (auto& p : m->named_parameters())
      if (src.contains(p.key())) p.value().copy_(src[p.key()]);
    m->reset_peft(plan);
    base->eval();
    m->eval();
    auto ids = torch::randint(1, c.vocab_size, {3, 7}, torch::kLong);
    CHECK((m->forward(ids) - base->forward(ids)).abs().max().item<double>() < 1e-6);
    // Now a non-zero update: merged equals unmerged.
    for (auto& p : m->named_parameters())
      if (p.key().find("lora_B") != std::string::npos || p.key().find("magnitude") != std::string::npos)
        p.value().add_(torch::randn_like(p.value()));
    auto unmerged = m->forward(ids);
    CHECK((unmerged - base->forward(ids)).abs().max().item<double>() > 1e-3);
    for (auto& layer : m->backbone->layers) {
      auto mod = layer->hooks().template module<peft::lora>();
      mod->for_each([&](model::site s, peft::lora_site& site) { site.merge(*layer->linear(s)); });
    }
    CHECK((m->forward(ids) - unmerged).abs().max().item<double>() < 1e-5);
    for (auto& layer : m->backbone->layers) {
      auto mod = layer->hooks().template module<peft::lora>();
      mod->for_each([&](model::site s, peft::lora_site& site) { site.unmerge(*layer->linear(s)); });
    }
    CHECK((m->forward(ids) - unmerged).abs().max().item<double>() < 1e-5);
  }
}

TEST_CASE("LoRA and DoRA: gradients reach only their parameters and the head, and the loss falls", "[peft][lora]") {
  const bool dora = GENERATE(false, true);
  INFO("dora " << dora);
  torch::manual_seed(2);
  auto c = small();
  using family = peft::plan<peft::lora>;
  model::SequenceClassifier<family> m(c, family{peft::lora{}.r(4).lora_alpha(8).use_dora(dora).target_modules({"query", "value"})});
  // A frozen backbone with a wide spread still carries the token identities a pretrained one
  // would; DoRA's magnitudes are rebuilt from it.
  m->backbone->init_weights(0.3);
  m->reset_peft(m->peft());
  peft::mark_trainable(m);
  auto ids = torch::randint(6, c.vocab_size, {32, 6}, torch::kLong);
  auto labels = torch::randint(0, 2, {32}, torch::kLong);
  ids.index_put_({labels.to(torch::kBool), 2}, 5);
  std::vector<torch::Tensor> trainable;
  for (auto& p : m->parameters())
    if (p.requires_grad()) trainable.push_back(p);
  torch::optim::AdamW opt(trainable, torch::optim::AdamWOptions(1e-2));
  double first = 0, last = 0;
  for (int step = 0; step < 80; ++step) {
    auto loss = m->loss(m->forward(ids), labels);
    opt.zero_grad();
    loss.backward();
    if (step == 0)
      for (auto& p : m->named_parameters()) {
        INFO(p.key());
        const bool peft_or_head = peft::is_peft_parameter(p.key()) || p.key().rfind("classifier", 0) == 0;
        CHECK(p.value().grad().defined() == peft_or_head);
      }
    opt.step();
    (step == 0 ? first : last) = loss.item<double>();
  }
  CHECK(last < 0.5 * first);
}
