#pragma once
// LoRA+ (Hayou et al., 2024, "LoRA+: Efficient Low Rank Adaptation of Large Models"): B learns
// loraplus_lr_ratio times faster than A. The optimizer parameter groups of HF PEFT's
// create_loraplus_optimizer (PEFT 0.21), over the trainable parameters (requires_grad), in HF's
// order:
//
//   "groupA"           lr                      weight decay loraplus_weight_decay   A and every other matrix
//   "embedding"        loraplus_lr_embedding   loraplus_weight_decay                LoRA on embeddings (lora_embedding_*)
//   "groupB"           lr · loraplus_lr_ratio  loraplus_weight_decay                lora_B and 1-d tensors that decay
//   "groupB_no_decay"  lr · loraplus_lr_ratio  0                                    1-d tensors in a LayerNorm or named *bias*
//
// As in HF, every 1-d trainable tensor (biases, LayerNorm weights, DoRA's magnitude) joins B's
// learning rate, and the classifier's weight joins A's.
//
// Example:
//   auto groups = peft::loraplus_param_groups(*model, {.lr = 2e-4, .loraplus_lr_ratio = 16});
//   torch::optim::AdamW opt(groups.optimizer_groups(torch::optim::AdamWOptions()), torch::optim::AdamWOptions(2e-4));
#include <torch/torch.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

namespace autopeft::peft {

class loraplus_param_groups {
 public:
  struct options {
    /// The learning rate of A (HF's `lr`).
    double lr = 1e-3;
    /// η_B / η_A; the paper suggests 16 (HF requires it to be passed).
    double loraplus_lr_ratio = 16;
    /// The learning rate of LoRA on embeddings.
    double loraplus_lr_embedding = 1e-6;
    double loraplus_weight_decay = 0.0;
  };
  struct group {
    std::string name;
    double lr, weight_decay;
    std::vector<std::string> names;  ///< the parameters' names in the model
    std::vector<torch::Tensor> params;
  };

  loraplus_param_groups(const torch::nn::Module& model, const options& o) {
    groups_ = {{"groupA", o.lr, o.loraplus_weight_decay, {}, {}},
               {"embedding", o.loraplus_lr_embedding, o.loraplus_weight_decay, {}, {}},
               {"groupB", o.lr * o.loraplus_lr_ratio, o.loraplus_weight_decay, {}, {}},
               {"groupB_no_decay", o.lr * o.loraplus_lr_ratio, 0.0, {}, {}}};
    // HF's decay_parameters: not inside a LayerNorm, and "bias" not in the name.
    std::set<std::string> in_layer_norm;
    for (const auto& m : model.named_modules())
      if (m.value()->as<torch::nn::LayerNorm>())
        for (const auto& p : m.value()->named_parameters(true))
          in_layer_norm.insert(m.key().empty() ? p.key() : m.key() + "." + p.key());
    for (const auto& p : model.named_parameters(true)) {
      if (!p.value().requires_grad()) continue;
      const auto& name = p.key();
      auto& g = name.find("lora_embedding_") != std::string::npos ? groups_[1]
                : name.find("lora_B") != std::string::npos || p.value().dim() == 1
                    ? (in_layer_norm.contains(name) || name.find("bias") != std::string::npos ? groups_[3] : groups_[2])
                    : groups_[0];
      g.names.push_back(name);
      g.params.push_back(p.value());
    }
  }

  /// The four groups, in HF's order (some may be empty).
  [[nodiscard]] const std::vector<group>& groups() const { return groups_; }

  /// The non-empty groups as LibTorch's, each with a copy of `base` (an optimizer's options:
  /// AdamWOptions, AdamOptions, SGDOptions, ...) whose lr and weight_decay are the group's.
  template <class Options>
  [[nodiscard]] std::vector<torch::optim::OptimizerParamGroup> optimizer_groups(const Options& base) const {
    std::vector<torch::optim::OptimizerParamGroup> out;
    for (const auto& g : groups_) {
      if (g.params.empty()) continue;
      auto o = std::make_unique<Options>(base);
      o->lr(g.lr);
      o->weight_decay(g.weight_decay);
      out.emplace_back(g.params, std::move(o));
    }
    return out;
  }

 private:
  std::vector<group> groups_;
};

}  // namespace autopeft::peft
