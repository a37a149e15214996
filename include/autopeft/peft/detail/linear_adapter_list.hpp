#pragma once
// The adapters one Linear holds, the part that autopeft::peft::Linear and
// linear_parametrization (a plain torch::nn::Linear's adapters) share: the site modules in attach
// order, each under its child name in the Linear and its HF adapter name, which adapter name is
// active (HF's set_adapter), and the enable switch of disable_adapter.
#include <autopeft/error.hpp>
#include <autopeft/peft/linear_adapter.hpp>

#include <torch/torch.h>

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace autopeft::peft::detail {

/// The name HF gives an adapter nobody named.
inline const std::string default_adapter = "default";

/// The child name of a policy's site module in its Linear: the policy's name for the default
/// adapter ("lora"), "<policy>_<adapter>" for the others ("lora_b").
inline std::string adapter_key(std::string_view policy, const std::string& adapter) {
  return adapter == default_adapter ? std::string(policy) : std::string(policy) + "_" + adapter;
}

/// Throws unless `adapter` can name an adapter: not empty, no '.' (a LibTorch module-name rule).
inline void check_adapter_name(const std::string& adapter, const std::string& who) {
  if (adapter.empty() || adapter.find('.') != std::string::npos)
    throw error(who + ": adapter name '" + adapter + "' must be non-empty and hold no '.'; e.g. \"default\", \"task_b\"");
}

struct linear_adapter_entry {
  std::string key;      ///< the site module's child name in the Linear ("lora", "lora_b")
  std::string adapter;  ///< HF's adapter name ("default")
  std::shared_ptr<linear_adapter> site;
};

class linear_adapter_list {
 public:
  /// Whether the entry computes now: the adapters are enabled and its adapter is the active one.
  [[nodiscard]] bool computes(const linear_adapter_entry& e) const { return enabled && e.adapter == active; }

  /// Registers the site module in `owner` under `key` and appends it; throws if the key is taken.
  template <linear_site_module M>
  std::shared_ptr<M> attach(torch::nn::LinearImpl& owner, const std::string& key, const std::string& adapter,
                            std::shared_ptr<M> m, const std::string& who) {
    if (has_key(key) || owner.named_children().contains(key))
      throw error(who + ": an adapter or child named '" + key + "' is already attached; delete it first or use "
                  "another adapter name");
    owner.register_module(key, m);
    entries.push_back({key, adapter, std::make_shared<linear_adapter_of<M>>(m)});
    return m;
  }
  [[nodiscard]] bool has_key(const std::string& key) const {
    return std::any_of(entries.begin(), entries.end(), [&](const auto& e) { return e.key == key; });
  }
  [[nodiscard]] bool has_adapter(const std::string& adapter) const {
    return std::any_of(entries.begin(), entries.end(), [&](const auto& e) { return e.adapter == adapter; });
  }
  /// The adapter names held, each once, in attach order.
  [[nodiscard]] std::vector<std::string> adapter_names() const {
    std::vector<std::string> out;
    for (const auto& e : entries)
      if (std::find(out.begin(), out.end(), e.adapter) == out.end()) out.push_back(e.adapter);
    return out;
  }

  /// Folds the active adapter's entries into the base weight, in attach order (HF merges the
  /// active adapter).
  void merge(torch::nn::LinearImpl& base) {
    for (auto& e : entries)
      if (e.adapter == active) e.site->merge(base);
  }
  /// Undoes every merged entry, in reverse attach order.
  void unmerge(torch::nn::LinearImpl& base) {
    for (auto it = entries.rbegin(); it != entries.rend(); ++it) it->site->unmerge(base);
  }
  [[nodiscard]] bool merged() const {
    return std::any_of(entries.begin(), entries.end(), [](const auto& e) { return e.site->merged(); });
  }
  /// Unregisters every site module from `owner` without unmerging.
  void drop(torch::nn::LinearImpl& owner) {
    for (const auto& e : entries) owner.unregister_module(e.key);
    entries.clear();
  }
  /// Removes the entries for which `pred` holds, each unmerged first; returns how many.
  template <class Pred>
  std::size_t erase_if(torch::nn::LinearImpl& owner, Pred pred) {
    std::size_t n = 0;
    for (auto it = entries.begin(); it != entries.end();)
      if (pred(*it)) {
        it->site->unmerge(owner);
        owner.unregister_module(it->key);
        it = entries.erase(it);
        ++n;
      } else {
        ++it;
      }
    return n;
  }

  std::vector<linear_adapter_entry> entries;
  std::string active = default_adapter;
  bool enabled = true;
};

}  // namespace autopeft::peft::detail
