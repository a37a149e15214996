#pragma once
// A drop-in torch::nn::Linear that carries PEFT adapters, so a user's own LibTorch model can take
// LoRA, (IA)³ and the other linear-site policies (see peft/inject.hpp).
//
// Why a subclass: a LibTorch parent calls its member holder directly (`fc1(x)`), and
// torch::nn::LinearImpl::forward is not virtual, so replacing a registered child
// (replace_module) does not change what the parent's forward calls. Declaring the member as
// `autopeft::peft::Linear` instead makes the parent call this forward, which applies the
// attached adapters:
//
//   h = in_k(… in_1(x)),   y = out_k(h, … out_1(h, base(h)))     adapters in attach order
//
// Output transforms see h, the input the base projection saw, so that adapters stacked on one
// Linear (LoRA, then (IA)³ scaling fc2's input) merge exactly in attach order:
// W x ↦ (W + sBA)(l ⊙ x) both unmerged and merged.
//
// The class adds no parameter of its own: `weight` and `bias` are the base class's, so
// checkpoints, optimisers and code that does `as<torch::nn::Linear>()` see an ordinary Linear.
// An adapter's site module is registered as a child under the adapter's name, so its parameters
// read `fc1.lora.lora_A.weight`.
//
// Example:
//   struct MlpImpl : torch::nn::Module {
//     autopeft::peft::Linear fc1{nullptr}, fc2{nullptr};
//     MlpImpl() {
//       fc1 = register_module("fc1", autopeft::peft::Linear(8, 32));
//       fc2 = register_module("fc2", autopeft::peft::Linear(32, 1));
//     }
//     torch::Tensor forward(torch::Tensor x) { return fc2(torch::relu(fc1(x))); }
//   };
#include <autopeft/error.hpp>
#include <autopeft/peft/adapter_layer.hpp>
#include <autopeft/peft/detail/linear_adapter_list.hpp>
#include <autopeft/peft/linear_adapter.hpp>

#include <torch/torch.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace autopeft::peft {

/// torch::nn::LinearImpl plus a runtime list of adapters. Same constructors, options and
/// parameter names as the base class. An adapter_layer, so the management verbs
/// (peft::merge_adapter, unload, disable_adapter, ...) reach its adapters.
class LinearImpl : public torch::nn::LinearImpl, public adapter_layer {
 public:
  using torch::nn::LinearImpl::LinearImpl;

  /// x [.., in_features] -> [.., out_features]: the active adapter's input transforms, the base
  /// projection, then its output transforms. Hides torch::nn::LinearImpl::forward.
  torch::Tensor forward(const torch::Tensor& x) {
    if (list_.entries.empty() || !list_.enabled) return torch::nn::LinearImpl::forward(x);
    auto h = x;
    for (auto& e : list_.entries)
      if (list_.computes(e)) h = e.site->input(h);
    auto y = torch::nn::LinearImpl::forward(h);
    for (auto& e : list_.entries)
      if (list_.computes(e)) y = e.site->output(h, std::move(y), *this);
    return y;
  }

  /// Attaches a site module under the child name `key` (e.g. "lora") as part of the adapter
  /// `adapter` (HF's adapter_name); throws if the key is taken.
  template <linear_site_module M>
  std::shared_ptr<M> attach(const std::string& key, std::shared_ptr<M> m,
                            const std::string& adapter = detail::default_adapter) {
    return list_.attach(*this, key, adapter, std::move(m), "peft::Linear");
  }
  /// Removes the site module under `key` (unmerging it first, so the base weight is the
  /// original again).
  void detach(const std::string& key) {
    if (!list_.has_key(key)) throw error("peft::Linear: no adapter named '" + key + "' to detach");
    list_.erase_if(*this, [&](const detail::linear_adapter_entry& e) { return e.key == key; });
  }
  [[nodiscard]] bool has_adapter(const std::string& key) const { return list_.has_key(key); }
  /// The attached site modules, in attach (= application) order.
  [[nodiscard]] const std::vector<detail::linear_adapter_entry>& adapters() const { return list_.entries; }

  /// Folds the active adapter into the base weight, in attach order; unmerge() undoes it.
  void merge() { list_.merge(*this); }
  void unmerge() { list_.unmerge(*this); }

  // adapter_layer: every attached site module merges (peft::linear_site_module).
  [[nodiscard]] bool has_adapters() const override { return !list_.entries.empty(); }
  [[nodiscard]] std::string unmergeable_adapter() const override { return {}; }
  void merge_adapters() override { merge(); }
  void unmerge_adapters() override { unmerge(); }
  [[nodiscard]] bool adapters_merged() const override { return list_.merged(); }
  /// Removes every adapter without unmerging (detach unmerges first).
  void drop_adapters() override { list_.drop(*this); }
  void enable_adapters(bool on) override { list_.enabled = on; }
  [[nodiscard]] bool adapters_enabled() const override { return list_.enabled; }
  [[nodiscard]] std::vector<std::string> adapter_names() const override { return list_.adapter_names(); }
  void set_active_adapter(const std::string& name) override { list_.active = name; }
  [[nodiscard]] const std::string& active_adapter() const override { return list_.active; }
  bool delete_adapter(const std::string& name) override {
    return list_.erase_if(*this, [&](const detail::linear_adapter_entry& e) { return e.adapter == name; }) > 0;
  }

  /// Cloneable<torch::nn::LinearImpl>::clone would slice off the adapters; a plain Linear (no
  /// adapter) clones as the base class does, into a torch::nn::LinearImpl.
  [[nodiscard]] std::shared_ptr<torch::nn::Module> clone(
      const torch::optional<torch::Device>& device = torch::nullopt) const override {
    if (!list_.entries.empty())
      throw error("peft::Linear: clone() with adapters attached is not supported; clone the model "
                  "before injecting, or merge and detach the adapters first");
    return torch::nn::LinearImpl::clone(device);
  }

  void pretty_print(std::ostream& stream) const override {
    stream << "autopeft::peft::Linear(in_features=" << options.in_features()
           << ", out_features=" << options.out_features() << ", bias=" << std::boolalpha << options.bias();
    if (!list_.entries.empty()) {
      stream << ", adapters=[";
      for (std::size_t i = 0; i < list_.entries.size(); ++i) stream << (i ? ", " : "") << list_.entries[i].key;
      stream << "]";
    }
    stream << ")";
  }

 private:
  detail::linear_adapter_list list_;
};

/// The holder: `autopeft::peft::Linear fc1{nullptr};`, `fc1 = register_module("fc1", Linear(8, 32));`.
TORCH_MODULE(Linear);

}  // namespace autopeft::peft
