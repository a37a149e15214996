#pragma once
// The laws every PEFT policy keeps, on a toy encoder and a toy task (does token 5 occur?):
//   (a) identity: at its default initialisation a policy that adds no virtual tokens leaves the
//       backbone's output unchanged (in eval and in training mode), and a perturbed one does not;
//   (b) gradients: after mark_trainable, one backward reaches exactly the PEFT parameters and
//       the head;
//   (c) learning: training them makes the loss fall below `fall` times its start and below what
//       the head alone reaches from the same weights in the same steps;
//   (d) counts: the closed-form trainable count equals the built model's PEFT parameters, and the
//       stored count the built model's stored form;
//   (e) merging, where the policy's sites merge: merged equals unmerged, and unmerging restores
//       the base weights.
// check_policy_laws<P>(law_case<P>) runs those that apply to P; the per-method tests call the
// single laws on other configurations.
#include <autopeft/model.hpp>
#include <autopeft/peft/concepts.hpp>
#include <autopeft/peft/linear.hpp>
#include <autopeft/peft/linear_sites.hpp>
#include <autopeft/peft/plan.hpp>
#include <autopeft/peft/trainable.hpp>

#include "small_encoder.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace autopeft::testing {

template <class P>
using classifier = model::SequenceClassifier<peft::plan<P>>;

inline double max_diff(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<double>(); }

inline std::int64_t peft_parameters(torch::nn::Module& m) {
  std::int64_t n = 0;
  for (auto& p : m.named_parameters())
    if (peft::is_peft_parameter(p.key())) n += p.value().numel();
  return n;
}

/// A backbone whose biases and LayerNorms are not at their defaults, so that a module that
/// ignores or re-initialises them is caught.
inline model::SequenceClassifier<> base_model(const model::EncoderConfig& c) {
  model::SequenceClassifier<> base(c);
  torch::NoGradGuard ng;
  for (auto& p : base->named_parameters())
    if (p.key().find("bias") != std::string::npos || p.key().find("LayerNorm") != std::string::npos)
      p.value().add_(0.1 * torch::randn_like(p.value()));
  base->eval();
  return base;
}

/// A model with `policy` on a copy of `base`'s weights; the PEFT modules are rebuilt on them.
template <class P>
classifier<P> copy_of(model::SequenceClassifier<>& base, const P& policy) {
  const peft::plan<P> plan{policy};
  classifier<P> m(base->config(), plan);
  torch::NoGradGuard ng;
  auto src = base->named_parameters();
  for (auto& p : m->named_parameters())
    if (src.contains(p.key())) p.value().copy_(src[p.key()]);
  m->reset_peft(plan);
  m->eval();
  return m;
}

inline void perturb_peft(torch::nn::Module& m, double scale = 0.5) {
  torch::NoGradGuard ng;
  for (auto& p : m.named_parameters())
    if (peft::is_peft_parameter(p.key())) p.value().add_(scale * torch::randn_like(p.value()));
}

/// Law (a).
template <class P>
void check_identity_at_init(const P& policy, const model::EncoderConfig& c) {
  torch::manual_seed(11);
  auto base = base_model(c);
  auto m = copy_of(base, policy);
  REQUIRE(peft_parameters(*m) > 0);
  torch::NoGradGuard ng;
  auto ids = torch::randint(1, c.vocab_size, {3, 7}, torch::kLong);
  auto expected = base->backbone->forward(ids).last_hidden_state;
  CHECK(max_diff(m->backbone->forward(ids).last_hidden_state, expected) < 1e-6);
  CHECK(max_diff(m->forward(ids), base->forward(ids)) < 1e-6);
  m->train();
  CHECK(max_diff(m->backbone->forward(ids).last_hidden_state, expected) < 1e-6);
  m->eval();
  perturb_peft(*m);
  CHECK(max_diff(m->backbone->forward(ids).last_hidden_state, expected) > 1e-3);
}

/// How law (c) trains.
struct learning {
  double lr = 1e-2;
  int steps = 80;
  /// > 0: the frozen backbone is re-initialised with this spread, so that it carries the token
  /// identities a pretrained one would; 0: the model's own initialisation.
  double spread = 0.3;
  /// The loss must end below fall × its first value ...
  double fall = 0.5;
  /// ... and below the head's alone.
  bool beats_head = true;
};

/// The toy task: ids [32, 6] of a classifier on `c`, labels [32]: does token 5 occur?
struct toy_task {
  torch::Tensor ids, labels;

  explicit toy_task(const model::EncoderConfig& c)
      : ids(torch::randint(6, c.vocab_size, {32, 6}, torch::kLong)), labels(torch::randint(0, 2, {32}, torch::kLong)) {
    ids.index_put_({labels.to(torch::kBool), 2}, 5);
  }

  /// Trains the parameters of classifier `net` that require a gradient with AdamW at `lr` for
  /// `steps` steps; returns the first and the last loss. With `check_gradients`, law (b) on the
  /// first backward: exactly the PEFT parameters and the head have a gradient.
  template <class Holder>
  std::pair<double, double> train(Holder& net, double lr, int steps, bool check_gradients) const {
    net->train();
    std::vector<torch::Tensor> trainable;
    for (auto& p : net->parameters())
      if (p.requires_grad()) trainable.push_back(p);
    torch::optim::AdamW opt(trainable, torch::optim::AdamWOptions(lr));
    double first = 0, last = 0;
    for (int step = 0; step < steps; ++step) {
      auto loss = net->loss(net->forward(ids), labels);
      opt.zero_grad();
      loss.backward();
      if (step == 0 && check_gradients)
        for (auto& p : net->named_parameters()) {
          INFO(p.key());
          const bool peft_or_head = peft::is_peft_parameter(p.key()) || p.key().rfind("classifier", 0) == 0;
          CHECK(p.value().grad().defined() == peft_or_head);
        }
      opt.step();
      (step == 0 ? first : last) = loss.template item<double>();
    }
    return {first, last};
  }
};

/// Laws (b) and (c).
template <class P>
void check_learns(const P& policy, const model::EncoderConfig& c, const learning& how) {
  torch::manual_seed(2);
  model::SequenceClassifier<> head_only(c);
  if (how.spread > 0) head_only->backbone->init_weights(how.spread);
  auto m = copy_of(head_only, policy);
  const auto counts = peft::mark_trainable(m);
  CHECK(counts.trainable == policy.trainable_parameters(c) + c.hidden_size * c.num_labels + c.num_labels);
  for (auto& p : head_only->named_parameters()) p.value().set_requires_grad(!peft::is_backbone_parameter(p.key()));
  const toy_task task(c);
  const auto [first, last] = task.train(m, how.lr, how.steps, true);
  INFO("first loss " << first << ", last loss " << last);
  CHECK(last < how.fall * first);
  if (how.beats_head) {
    const auto head = task.train(head_only, how.lr, how.steps, false).second;
    INFO("head alone " << head);
    CHECK(last < head);
  }
}

/// Law (d).
template <class P>
void check_count(const P& policy, const model::EncoderConfig& c) {
  classifier<P> m(c, peft::plan<P>{policy});
  const auto built = peft_parameters(*m);
  CHECK(built > 0);
  CHECK(policy.trainable_parameters(c) == built);
  std::int64_t stored = built;
  peft::plan<P>::for_each_folding_module(*m, [&](const std::string&, auto& module) {
    for (const auto& p : module.parameters()) stored -= p.numel();
    for (const auto& [name, t] : module.stored_state()) stored += t.numel();
  });
  CHECK(peft::stored_parameters_of(policy, c) == stored);
}

/// A policy whose layer modules are linear sites that merge into their Linear (law (e)).
template <class P>
concept merging_policy = requires { typename P::site_module; } && peft::linear_site_module<typename P::site_module> &&
                         std::same_as<typename P::layer_module, peft::linear_sites_module<typename P::site_module>>;

/// Law (e); `perturb` moves the PEFT parameters off their initial (identity) values.
template <merging_policy P>
void check_merge(const P& policy, const model::EncoderConfig& c, const std::function<void(torch::nn::Module&)>& perturb) {
  torch::manual_seed(5);
  auto base = base_model(c);
  auto m = copy_of(base, policy);
  perturb(*m);
  torch::NoGradGuard ng;
  auto ids = torch::randint(1, c.vocab_size, {3, 7}, torch::kLong);
  auto unmerged = m->backbone->forward(ids).last_hidden_state;
  REQUIRE(max_diff(unmerged, base->backbone->forward(ids).last_hidden_state) > 1e-3);
  auto each_site = [&](auto f) {
    for (auto& layer : m->backbone->layers)
      if (auto mod = layer->hooks().template module<P>())
        mod->for_each([&](model::site s, auto& site) { f(site, *layer->linear(s)); });
  };
  each_site([](auto& site, torch::nn::LinearImpl& lin) { site.merge(lin); });
  each_site([](auto& site, torch::nn::LinearImpl&) { CHECK(site.merged()); });
  CHECK(max_diff(m->backbone->forward(ids).last_hidden_state, unmerged) < 1e-5);
  each_site([](auto& site, torch::nn::LinearImpl& lin) { site.unmerge(lin); });
  CHECK(max_diff(m->backbone->forward(ids).last_hidden_state, unmerged) < 1e-5);
  auto original = base->named_parameters();
  for (auto& p : m->named_parameters())
    if (original.contains(p.key())) {
      INFO(p.key());
      CHECK(max_diff(p.value(), original[p.key()]) < 1e-5);
    }
}

/// What the law suite needs of a policy besides its type: an instance at toy sizes, the toy
/// encoder, how it learns and how to move it off its initial values. The defaults (a default
/// policy on testing::small_encoder with 40 positions) suit most policies; law_case_of<P>
/// gives a policy its own.
template <class P>
struct law_case {
  P policy{};
  model::EncoderConfig config = small_encoder({.positions = 40});
  learning how{};
  std::function<void(torch::nn::Module&)> perturb = [](torch::nn::Module& m) { perturb_peft(m, 0.3); };
};

/// Runs every law that applies to P on `law`.
template <class P>
void check_policy_laws(const law_case<P>& law) {
  STATIC_REQUIRE(peft::policy<P>);
  const auto& [policy, c, how, perturb] = law;
  if (peft::plan<P>{policy}.virtual_tokens(c) == 0) {
    INFO("law (a): identity at initialisation");
    check_identity_at_init(policy, c);
  }
  {
    INFO("laws (b), (c): gradients only to PEFT tensors and the head; the loss falls");
    check_learns(policy, c, how);
  }
  {
    INFO("law (d): closed-form counts equal the built model's");
    check_count(policy, c);
  }
  if constexpr (merging_policy<P>) {
    INFO("law (e): merging is exact");
    check_merge(policy, c, perturb);
  }
}

}  // namespace autopeft::testing
