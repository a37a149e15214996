#pragma once
// HF Trainer's two AdamW parameter groups: weight decay for every trainable parameter except
// biases (any name containing "bias") and the parameters of LayerNorm modules, which get none.
#include <torch/torch.h>

#include <set>
#include <string>
#include <vector>

namespace autopeft::train {

/// The groups [decayed, not decayed] of the parameters of `module` that require grad (frozen
/// parameters are left out, as a PEFT run wants), each with a copy of `options`; the second
/// with weight_decay 0. Empty groups are dropped.
///
/// Example:
///   auto options = torch::optim::AdamWOptions(3e-4).weight_decay(0.01);
///   torch::optim::AdamW opt(train::adamw_param_groups(*model, options), options);
inline std::vector<torch::optim::OptimizerParamGroup> adamw_param_groups(
    torch::nn::Module& module, const torch::optim::AdamWOptions& options) {
  std::set<const void*> layer_norm;
  for (const auto& m : module.modules(/*include_self=*/true))
    if (dynamic_cast<torch::nn::LayerNormImpl*>(m.get()))
      for (const auto& p : m->parameters(/*recurse=*/false)) layer_norm.insert(p.unsafeGetTensorImpl());
  std::vector<torch::Tensor> decay, no_decay;
  for (const auto& p : module.named_parameters(/*recurse=*/true)) {
    if (!p.value().requires_grad()) continue;
    const bool exempt = p.key().find("bias") != std::string::npos || layer_norm.count(p.value().unsafeGetTensorImpl());
    (exempt ? no_decay : decay).push_back(p.value());
  }
  std::vector<torch::optim::OptimizerParamGroup> groups;
  auto add = [&](std::vector<torch::Tensor> params, double wd) {
    if (params.empty()) return;
    auto o = std::make_unique<torch::optim::AdamWOptions>(options);
    o->weight_decay(wd);
    groups.emplace_back(std::move(params), std::move(o));
  };
  add(std::move(decay), options.weight_decay());
  add(std::move(no_decay), 0.0);
  return groups;
}

}  // namespace autopeft::train
