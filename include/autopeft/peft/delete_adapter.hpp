#pragma once
// HF PEFT's delete_adapter: removes one named adapter's modules from the model (unmerged first;
// the base weights are the original ones again). When it was the active adapter, the first
// remaining one becomes active, as HF does.
//
// Example:
//   peft::delete_adapter(*net, "wide");
//   CHECK(peft::adapter_names(*net) == std::vector<std::string>{"default"});
#include <autopeft/error.hpp>
#include <autopeft/peft/adapter_layer.hpp>
#include <autopeft/peft/adapter_names.hpp>
#include <autopeft/peft/set_adapter.hpp>

#include <torch/torch.h>

#include <algorithm>
#include <string>
#include <vector>

namespace autopeft::peft {

namespace detail {
/// Whether a module that injected sites share on the root (`peft.<key>`, VeRA's frozen pair)
/// belongs to the adapter `name`: its key is the policy's name for "default" and
/// "<policy>_<adapter>" otherwise (peft::inject).
inline bool shared_key_of(const std::string& key, const std::string& name) {
  if (name == "default") return key.find('_') == std::string::npos;
  return key.size() > name.size() + 1 && key.compare(key.size() - name.size() - 1, std::string::npos, "_" + name) == 0;
}
}  // namespace detail

/// Throws autopeft::error when the model holds no adapter named `name`, or inside a live
/// peft::disable_adapter guard.
inline void delete_adapter(torch::nn::Module& model, const std::string& name) {
  const auto names = adapter_names(model);
  if (std::find(names.begin(), names.end(), name) == names.end())
    throw error("peft::delete_adapter: the model holds no adapter named '" + name + "'");
  const auto layers = detail::adapter_layers(model, "peft::delete_adapter");
  const std::string active = layers.front().layer->active_adapter();
  for (const auto& l : layers)
    if (!l.layer->adapters_enabled())
      throw error("peft::delete_adapter: the adapters are disabled by a live peft::disable_adapter guard; delete "
                  "after the guard's scope ends");
  for (const auto& l : layers)
    if (l.layer->adapters_merged()) l.layer->unmerge_adapters();
  for (const auto& l : layers) l.layer->delete_adapter(name);
  const auto children = model.named_children();
  if (const auto* shared = children.find("peft"); shared && !dynamic_cast<adapter_layer*>(shared->get())) {
    for (const auto& c : (*shared)->named_children())
      if (detail::shared_key_of(c.key(), name)) (*shared)->unregister_module(c.key());
    if ((*shared)->named_children().is_empty()) model.unregister_module("peft");
  }
  std::vector<std::string> left;
  for (const auto& n : names)
    if (n != name) left.push_back(n);
  if (name == active && !left.empty()) set_adapter(model, left.front());
}

}  // namespace autopeft::peft
