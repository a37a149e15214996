#pragma once
// The interface through which HF PEFT's management verbs (peft::merge_adapter, unmerge_adapter,
// unload, merge_and_unload, disable_adapter) reach every module that holds adapters, whoever
// built it: the PEFT hooks of an encoder's layers and embeddings (peft::plan) and the
// autopeft::peft::Linear modules that peft::inject adapted. A verb walks the module tree it is
// given and calls each adapter_layer it finds, so one verb serves the encoder models and a user's
// own modules alike, and no list of policies is needed: each site module carries its own merge
// (peft::linear_site_module; peft::delta_weight_merge where the update is a weight delta).
#include <autopeft/error.hpp>

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

namespace autopeft::peft {

class adapter_layer {
 public:
  virtual ~adapter_layer() = default;
  /// Whether any adapter is attached here (a peft::Linear may have none; an encoder layer may
  /// carry no module of its plan).
  [[nodiscard]] virtual bool has_adapters() const = 0;
  /// The name of an adapter held here that cannot be folded into base weights (a prefix, a
  /// prompt, an adapter between sub-layers), or empty when every one can.
  [[nodiscard]] virtual std::string unmergeable_adapter() const = 0;
  /// Folds every adapter into the base weights it adapts (outputs unchanged; the adapters then
  /// compute nothing). Call only when unmergeable_adapter() is empty.
  virtual void merge_adapters() = 0;
  /// Undoes merge_adapters (to fp32 rounding); a no-op for adapters not merged.
  virtual void unmerge_adapters() = 0;
  [[nodiscard]] virtual bool adapters_merged() const = 0;
  /// Removes the adapter modules; a merged update stays in the base weights.
  virtual void drop_adapters() = 0;
  /// Off: the forward is the base module's, as if no adapter were attached.
  virtual void enable_adapters(bool on) = 0;
  [[nodiscard]] virtual bool adapters_enabled() const = 0;

  // Named adapters (HF's adapter_name). A plan's modules are one adapter, "default"; a Linear
  // adapted by peft::inject holds one site per policy and adapter name. Exactly one name is
  // active: the adapters of the others stay, and compute nothing.

  /// The adapter names held here, in attach order.
  [[nodiscard]] virtual std::vector<std::string> adapter_names() const { return {"default"}; }
  /// Makes `name` the adapter that computes here (held or not: a layer without it computes none
  /// of its own). Call with the adapters unmerged.
  virtual void set_active_adapter(const std::string& name) { active_ = name; }
  [[nodiscard]] virtual const std::string& active_adapter() const { return active_; }
  /// Removes the adapter `name` (unmerged first); false when it is not held here.
  virtual bool delete_adapter(const std::string& name) {
    if (name != "default" || !has_adapters()) return false;
    unmerge_adapters();
    drop_adapters();
    return true;
  }

 protected:
  /// For a plan's modules (the adapter "default"): whether they compute, i.e. are enabled and
  /// "default" is the active adapter.
  [[nodiscard]] bool default_adapter_computes() const { return adapters_enabled() && active_ == "default"; }

 private:
  std::string active_ = "default";
};

namespace detail {

/// One adapter_layer of a tree, with its module name and an owner that keeps it alive.
struct named_adapter_layer {
  std::string name;
  adapter_layer* layer;
  std::shared_ptr<torch::nn::Module> owner;  ///< null for the root, which the caller holds
};

/// The adapter_layers of `root` (itself included) that hold adapters, in tree order. `who` names
/// the verb in the error thrown when there is none.
inline std::vector<named_adapter_layer> adapter_layers(torch::nn::Module& root, const std::string& who) {
  std::vector<named_adapter_layer> out;
  if (auto* a = dynamic_cast<adapter_layer*>(&root); a && a->has_adapters()) out.push_back({"", a, nullptr});
  for (const auto& item : root.named_modules("", false))
    if (auto* a = dynamic_cast<adapter_layer*>(item.value().get()); a && a->has_adapters())
      out.push_back({item.key(), a, item.value()});
  if (out.empty())
    throw error(who + ": the module holds no adapters: it is neither an encoder model built with a "
                "peft::plan nor a tree with autopeft::peft::Linear modules; build the model with a plan "
                "or attach adapters with peft::inject first");
  return out;
}

/// Throws, naming the first adapter that cannot be merged and where it sits, or when the
/// adapters are disabled (a peft::disable_adapter guard is alive).
inline void require_mergeable(const std::vector<named_adapter_layer>& layers, const std::string& who) {
  for (const auto& l : layers) {
    const auto where = l.name.empty() ? std::string("the root module") : "'" + l.name + "'";
    if (const auto name = l.layer->unmergeable_adapter(); !name.empty())
      throw error(who + ": adapter '" + name + "' at " + where + " cannot be merged: it is no weight update of a "
                  "Linear layer (merging folds LoRA, DoRA, (IA)3, LoHa, LoKr, VeRA and other linear-site "
                  "updates into their base weights); use peft::unload to drop the adapters without merging, "
                  "or keep the model adapted");
    if (!l.layer->adapters_enabled())
      throw error(who + ": the adapters at " + where + " are disabled by a live peft::disable_adapter guard; "
                  "merge after the guard's scope ends");
  }
}

/// Merges every layer after require_mergeable.
inline void merge_layers(const std::vector<named_adapter_layer>& layers, const std::string& who) {
  require_mergeable(layers, who);
  for (const auto& l : layers) l.layer->merge_adapters();
}

/// Drops the adapters of every layer, and the module that injected sites share on the root
/// (`peft`, VeRA's frozen pair), which nothing uses after them.
inline void drop_adapters(torch::nn::Module& root, const std::vector<named_adapter_layer>& layers) {
  for (const auto& l : layers) l.layer->drop_adapters();
  const auto children = root.named_children();  // find() points into this dict: keep it alive
  if (const auto* shared = children.find("peft"); shared && !dynamic_cast<adapter_layer*>(shared->get()))
    root.unregister_module("peft");
}

}  // namespace detail

}  // namespace autopeft::peft
