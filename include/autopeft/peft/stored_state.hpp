#pragma once
// stored_state(model): a model's parameters as the adapted model stores them after training.
// A PEFT module that trains more than it keeps (prefix_encoder with its reparametrisation MLP)
// declares its stored form (peft/concepts.hpp: stored_parameters(), stored_state()); here each
// such module of the model's family gives that form instead of its parameters. save_adapter
// writes it; a caller with its own file format (the CLI's `export`) uses it directly.
//
// Example:
//   for (const auto& t : peft::stored_state(model))
//     if (t.trainable) tensors.emplace_back(t.name, t.value.to(torch::kCPU).contiguous());
#include <autopeft/peft/plan.hpp>

#include <torch/torch.h>

#include <algorithm>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace autopeft::peft {

/// One tensor of a model's stored form.
struct stored_tensor {
  std::string name;     ///< the model's parameter name (a folded module's: its stored form's name)
  torch::Tensor value;  ///< detached
  bool trainable;       ///< a trainable parameter stands behind it
};

/// The parameters of `model` (a holder with peft(): SequenceClassifier<plan<...>>), each folding
/// module's replaced by its stored tensors (`<module>.embedding.weight` [P, 2·L·H] for a prefix
/// encoder's MLP and its P × H embedding); the others as they are.
template <class Holder>
std::vector<stored_tensor> stored_state(const Holder& model) {
  using Plan = std::decay_t<decltype(model->peft())>;
  struct folded_module {
    std::string scope;  // "<module path>."
    std::vector<std::pair<std::string, torch::Tensor>> state;
    bool trainable = false;
  };
  std::vector<folded_module> folded;
  Plan::for_each_folding_module(*model, [&](const std::string& path, auto& m) {
    folded_module f{path + ".", m.stored_state()};
    for (const auto& p : m.parameters()) f.trainable = f.trainable || p.requires_grad();
    folded.push_back(std::move(f));
  });
  std::vector<stored_tensor> out;
  for (const auto& p : model->named_parameters(true)) {
    const auto& k = p.key();
    if (std::none_of(folded.begin(), folded.end(), [&](const auto& f) { return k.rfind(f.scope, 0) == 0; }))
      out.push_back({k, p.value().detach(), p.value().requires_grad()});
  }
  for (const auto& f : folded)
    for (const auto& [name, t] : f.state) out.push_back({f.scope + name, t.detach(), f.trainable});
  return out;
}

}  // namespace autopeft::peft
