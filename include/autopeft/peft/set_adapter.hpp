#pragma once
// HF PEFT's set_adapter: makes one named adapter the one that computes; the others stay in the
// model, inert (no output, no gradient) until selected. Merged adapters are unmerged first, as HF
// does. Outputs then equal those of a model that holds the selected adapter alone.
//
// Example:
//   peft::set_adapter(*net, "wide");
//   CHECK(peft::active_adapter(*net) == "wide");
#include <autopeft/error.hpp>
#include <autopeft/peft/adapter_layer.hpp>
#include <autopeft/peft/adapter_names.hpp>

#include <torch/torch.h>

#include <algorithm>
#include <string>

namespace autopeft::peft {

/// Throws autopeft::error when the model holds no adapter named `name` (the message lists those
/// it holds), or inside a live peft::disable_adapter guard.
inline void set_adapter(torch::nn::Module& model, const std::string& name) {
  const auto names = adapter_names(model);
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    std::string held;
    for (const auto& n : names) held += (held.empty() ? "" : ", ") + n;
    throw error("peft::set_adapter: the model holds no adapter named '" + name + "'; it holds: " + held +
                " (add one with peft::add_adapter)");
  }
  const auto layers = detail::adapter_layers(model, "peft::set_adapter");
  for (const auto& l : layers)
    if (!l.layer->adapters_enabled())
      throw error("peft::set_adapter: the adapters are disabled by a live peft::disable_adapter guard; switch "
                  "after the guard's scope ends");
  for (const auto& l : layers) {
    if (l.layer->adapters_merged()) l.layer->unmerge_adapters();
    l.layer->set_active_adapter(name);
  }
}

}  // namespace autopeft::peft
