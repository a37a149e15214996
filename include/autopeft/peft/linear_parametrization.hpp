#pragma once
// Adapters on a plain torch::nn::Linear, the layer a user's model declares and calls directly
// (`fc1(x)`, a Sequential, a ModuleList), so that peft::inject can adapt a model without an edit
// to its source. torch::nn::LinearImpl::forward is not virtual and computes
// F::linear(x, weight, bias) from the public members `weight` and `bias`; what can change from
// outside is those two members. So, as torch.nn.utils.parametrize does in Python, the adapters
// re-parametrise them: while a peft::adapted_weights guard lives, the members hold
//
//   (W', b') = a_k(… a_1(W, b))        every adapter folded in attach order, as merging does
//
// (LoRA: W + sBA; DoRA: m / ||W + sBA|| ⊙ (W + sBA); (IA)³: W diag(l) or diag(l) W, l ⊙ b;
// LoHa, LoKr, VeRA: W + ΔW), computed with autograd from the registered, frozen parameters, so the
// adapters get their gradients. The registered parameters (what state_dict, optimisers and
// checkpoints see) are never replaced; the guard puts the original members back at its end.
// Outside a guard the Linear computes the base layer's output.
//
// Cost, against the same adapters on an autopeft::peft::Linear (which adds a side path to the
// forward instead): each guard materialises W' [out, in] per adapted Linear (LoRA: an out×r×in
// product and an add), and the backward computes the full weight gradient dL/dW' (a
// tokens×out×in GEMM, the one a frozen Linear skips) before it reaches the adapter's
// parameters; one extra weight-sized tensor per adapted Linear lives for the step. A model whose
// source can change should declare autopeft::peft::Linear; bench/bench_plain_linear.cpp measures
// both.
//
// This module sits in the Linear as its child `parametrization` and holds no parameter; the
// adapters' site modules sit beside it under their names (`fc1.lora.lora_A.weight`), as in an
// autopeft::peft::Linear. It is an adapter_layer, so merge_adapter, unmerge_adapter, unload,
// merge_and_unload and disable_adapter reach it; merged adapters need no guard.
//
// Example:
//   auto net = torch::nn::Sequential(torch::nn::Linear(8, 32), torch::nn::ReLU(), torch::nn::Linear(32, 1));
//   peft::inject(*net, peft::lora{}.r(4).target_modules({"0", "2"}));
//   peft::freeze_except_adapters(*net);
//   peft::adapted_weights adapted(*net);               // around every forward that should adapt
//   auto y = net->forward(torch::randn({16, 8}));
#include <autopeft/error.hpp>
#include <autopeft/peft/adapter_layer.hpp>
#include <autopeft/peft/detail/linear_adapter_list.hpp>
#include <autopeft/peft/linear_adapter.hpp>

#include <torch/torch.h>

#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace autopeft::peft {

class linear_parametrization : public torch::nn::Module, public adapter_layer {
 public:
  /// The child name under which it sits in its Linear.
  static constexpr const char* key = "parametrization";

  /// `base` owns this module (as its child `key`) and so outlives it.
  explicit linear_parametrization(torch::nn::LinearImpl& base)
      : torch::nn::Module("autopeft::peft::linear_parametrization"), base_(&base) {}

  /// Registers the site module in the base Linear under the child name `site_key` as part of the
  /// adapter `adapter` (HF's adapter_name); throws if the name is taken there.
  template <linear_site_module M>
  std::shared_ptr<M> attach(const std::string& site_key, std::shared_ptr<M> m,
                            const std::string& adapter = detail::default_adapter) {
    if (guards_ > 0)
      throw error("peft: cannot attach adapter '" + site_key + "' while a peft::adapted_weights guard is alive");
    return list_.attach(*base_, site_key, adapter, std::move(m), "peft (plain torch::nn::Linear)");
  }
  [[nodiscard]] bool has_adapter(const std::string& site_key) const { return list_.has_key(site_key); }
  /// The attached site modules, in attach (= folding) order.
  [[nodiscard]] const std::vector<detail::linear_adapter_entry>& adapters() const { return list_.entries; }

  /// Puts (W', b') into the base's `weight` and `bias` members (the active adapter folded in,
  /// with autograd); nested calls share the outer one's tensors. Called by peft::adapted_weights.
  void apply() {
    if (guards_ > 0) {
      ++guards_;
      return;
    }
    auto w = base_->weight, b = base_->bias;
    auto adapted = std::pair{w, b};
    for (auto& e : list_.entries)
      if (e.adapter == list_.active) adapted = e.site->reparametrize(adapted.first, adapted.second);
    weight_ = std::move(w);
    bias_ = std::move(b);
    adapted_ = std::move(adapted);
    guards_ = 1;
    show();
  }
  /// Undoes one apply(); the last one puts the registered weight and bias back.
  void restore() {
    if (guards_ == 0 || --guards_ > 0) return;
    base_->weight = weight_;
    base_->bias = bias_;
    weight_ = bias_ = torch::Tensor();
    adapted_ = {};
  }
  [[nodiscard]] bool active() const { return guards_ > 0; }

  // adapter_layer
  [[nodiscard]] bool has_adapters() const override { return !list_.entries.empty(); }
  [[nodiscard]] std::string unmergeable_adapter() const override { return {}; }
  void merge_adapters() override {
    require_inactive("merge");
    list_.merge(*base_);
  }
  void unmerge_adapters() override {
    require_inactive("unmerge");
    list_.unmerge(*base_);
  }
  [[nodiscard]] bool adapters_merged() const override { return list_.merged(); }
  /// Removes the adapters' site modules and this module from the base Linear, which is then a
  /// plain Linear again (a merged update stays in its weight).
  void drop_adapters() override {
    require_inactive("unload");
    list_.drop(*base_);
    base_->unregister_module(key);  // the caller's owner pointer keeps this object alive
  }
  void enable_adapters(bool on) override {
    list_.enabled = on;
    if (guards_ > 0) show();
  }
  [[nodiscard]] bool adapters_enabled() const override { return list_.enabled; }
  [[nodiscard]] std::vector<std::string> adapter_names() const override { return list_.adapter_names(); }
  void set_active_adapter(const std::string& name) override {
    require_inactive("switch");
    list_.active = name;
  }
  [[nodiscard]] const std::string& active_adapter() const override { return list_.active; }
  /// Removes the adapter `name`; this module goes too when it was the last one.
  bool delete_adapter(const std::string& name) override {
    require_inactive("delete");
    const bool any = list_.erase_if(*base_, [&](const detail::linear_adapter_entry& e) { return e.adapter == name; }) > 0;
    if (list_.entries.empty()) base_->unregister_module(key);
    return any;
  }

  [[nodiscard]] std::shared_ptr<torch::nn::Module> clone(
      const torch::optional<torch::Device>& = torch::nullopt) const override {
    throw error("peft: clone() of a plain torch::nn::Linear with injected adapters is not supported; clone the "
                "model before peft::inject, or peft::merge_and_unload it first");
  }
  void pretty_print(std::ostream& stream) const override {
    stream << "autopeft::peft::linear_parametrization(adapters=[";
    for (std::size_t i = 0; i < list_.entries.size(); ++i) stream << (i ? ", " : "") << list_.entries[i].key;
    stream << "])";
  }

 private:
  void show() {
    base_->weight = list_.enabled ? adapted_.first : weight_;
    base_->bias = list_.enabled ? adapted_.second : bias_;
  }
  void require_inactive(const std::string& verb) const {
    if (guards_ > 0)
      throw error("peft: cannot " + verb + " the adapters of a plain torch::nn::Linear while a "
                  "peft::adapted_weights guard is alive; do it after the guard's scope ends");
  }

  torch::nn::LinearImpl* base_;
  detail::linear_adapter_list list_;
  int guards_ = 0;  ///< live peft::adapted_weights guards (they nest)
  torch::Tensor weight_, bias_;                      ///< the registered tensors while active
  std::pair<torch::Tensor, torch::Tensor> adapted_;  ///< (W', b') while active
};

}  // namespace autopeft::peft
