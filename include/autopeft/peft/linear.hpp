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

#include <torch/torch.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace autopeft::peft {

/// The type-erased view of one site module of a linear-site policy (lora_site, ia3_site, ...).
class linear_adapter {
 public:
  virtual ~linear_adapter() = default;
  /// x [.., in] before the base projection; identity for policies without an `input` member.
  virtual torch::Tensor input(const torch::Tensor& x) = 0;
  /// y [.., out] = base(x) after the base projection; x is the input the base saw (after every
  /// adapter's input transform).
  virtual torch::Tensor output(const torch::Tensor& x, torch::Tensor y, torch::nn::LinearImpl& base) = 0;
  virtual void merge(torch::nn::LinearImpl& base) = 0;
  virtual void unmerge(torch::nn::LinearImpl& base) = 0;
  [[nodiscard]] virtual bool merged() const = 0;
  /// (w, b) of the one Linear equal to the Linear (w, b) followed by this adapter, differentiable
  /// in the adapter's parameters (peft::linear_parametrization); throws for a site module
  /// without a `reparametrize(w, b)` member.
  [[nodiscard]] virtual std::pair<torch::Tensor, torch::Tensor> reparametrize(const torch::Tensor& w,
                                                                              const torch::Tensor& b) = 0;
  /// The site module, registered in the Linear under the adapter's name.
  [[nodiscard]] virtual std::shared_ptr<torch::nn::Module> module() const = 0;
};

namespace detail {
template <class M>
class linear_adapter_of final : public linear_adapter {
 public:
  explicit linear_adapter_of(std::shared_ptr<M> m) : m_(std::move(m)) {}
  torch::Tensor input(const torch::Tensor& x) override {
    if constexpr (requires(M& m) { m.input(x); }) return m_->input(x);
    else return x;
  }
  torch::Tensor output(const torch::Tensor& x, torch::Tensor y, torch::nn::LinearImpl& base) override {
    return m_->output(x, std::move(y), base);
  }
  void merge(torch::nn::LinearImpl& base) override { m_->merge(base); }
  void unmerge(torch::nn::LinearImpl& base) override { m_->unmerge(base); }
  [[nodiscard]] bool merged() const override { return m_->merged(); }
  [[nodiscard]] std::pair<torch::Tensor, torch::Tensor> reparametrize(const torch::Tensor& w,
                                                                      const torch::Tensor& b) override {
    if constexpr (requires(M& m) { m.reparametrize(w, b); }) return m_->reparametrize(w, b);
    else
      throw error("peft: this site module has no reparametrize(w, b) member, so it cannot adapt a plain "
                  "torch::nn::Linear; declare the layer autopeft::peft::Linear");
  }
  [[nodiscard]] std::shared_ptr<torch::nn::Module> module() const override { return m_; }

 private:
  std::shared_ptr<M> m_;
};
}  // namespace detail

/// What a site module must provide to be attached: `output`, `merge`, `unmerge`, `merged`
/// (and optionally `input`), as every linear-site policy's `site_module` does. To adapt a plain
/// torch::nn::Linear too, it also provides
///   std::pair<torch::Tensor, torch::Tensor> reparametrize(const torch::Tensor& w, const torch::Tensor& b);
/// (see peft::linear_parametrization; LoRA, DoRA, (IA)³, LoHa, LoKr and VeRA have it).
template <class M>
concept linear_site_module = std::derived_from<M, torch::nn::Module> &&
    requires(M& m, const torch::Tensor& x, torch::Tensor y, torch::nn::LinearImpl& base) {
      { m.output(x, y, base) } -> std::convertible_to<torch::Tensor>;
      m.merge(base);
      m.unmerge(base);
      { m.merged() } -> std::convertible_to<bool>;
    };

/// torch::nn::LinearImpl plus a runtime list of adapters. Same constructors, options and
/// parameter names as the base class. An adapter_layer, so the management verbs
/// (peft::merge_adapter, unload, disable_adapter, ...) reach its adapters.
class LinearImpl : public torch::nn::LinearImpl, public adapter_layer {
 public:
  using torch::nn::LinearImpl::LinearImpl;

  /// x [.., in_features] -> [.., out_features]: the adapters' input transforms, the base
  /// projection, then the adapters' output transforms. Hides torch::nn::LinearImpl::forward.
  torch::Tensor forward(const torch::Tensor& x) {
    if (adapters_.empty() || !enabled_) return torch::nn::LinearImpl::forward(x);
    auto h = x;
    for (auto& [name, a] : adapters_) h = a->input(h);
    auto y = torch::nn::LinearImpl::forward(h);
    for (auto& [name, a] : adapters_) y = a->output(h, std::move(y), *this);
    return y;
  }

  /// Attaches a site module under `name` (e.g. "lora"); throws if the name is taken.
  template <linear_site_module M>
  std::shared_ptr<M> attach(const std::string& name, std::shared_ptr<M> m) {
    if (has_adapter(name) || named_children().contains(name))
      throw error("peft::Linear: an adapter or child named '" + name +
                  "' is already attached; detach it first or inject a different policy");
    register_module(name, m);
    adapters_.emplace_back(name, std::make_shared<detail::linear_adapter_of<M>>(m));
    return m;
  }
  /// Removes an adapter (unmerging it first, so the base weight is the original again).
  void detach(const std::string& name) {
    for (auto it = adapters_.begin(); it != adapters_.end(); ++it)
      if (it->first == name) {
        it->second->unmerge(*this);
        unregister_module(name);
        adapters_.erase(it);
        return;
      }
    throw error("peft::Linear: no adapter named '" + name + "' to detach");
  }

  [[nodiscard]] bool has_adapter(const std::string& name) const {
    for (const auto& a : adapters_)
      if (a.first == name) return true;
    return false;
  }
  /// The attached adapters, in attach (= application) order.
  [[nodiscard]] const std::vector<std::pair<std::string, std::shared_ptr<linear_adapter>>>& adapters() const {
    return adapters_;
  }

  /// Folds every adapter into the base weight, in attach order; unmerge() undoes it in reverse.
  void merge() {
    for (auto& [name, a] : adapters_) a->merge(*this);
  }
  void unmerge() {
    for (auto it = adapters_.rbegin(); it != adapters_.rend(); ++it) it->second->unmerge(*this);
  }

  // adapter_layer: every attached site module merges (peft::linear_site_module).
  [[nodiscard]] bool has_adapters() const override { return !adapters_.empty(); }
  [[nodiscard]] std::string unmergeable_adapter() const override { return {}; }
  void merge_adapters() override { merge(); }
  void unmerge_adapters() override { unmerge(); }
  [[nodiscard]] bool adapters_merged() const override {
    for (const auto& a : adapters_)
      if (a.second->merged()) return true;
    return false;
  }
  /// Removes every adapter without unmerging (detach unmerges first).
  void drop_adapters() override {
    for (const auto& a : adapters_) unregister_module(a.first);
    adapters_.clear();
  }
  void enable_adapters(bool on) override { enabled_ = on; }
  [[nodiscard]] bool adapters_enabled() const override { return enabled_; }

  /// Cloneable<torch::nn::LinearImpl>::clone would slice off the adapters; a plain Linear (no
  /// adapter) clones as the base class does, into a torch::nn::LinearImpl.
  [[nodiscard]] std::shared_ptr<torch::nn::Module> clone(
      const torch::optional<torch::Device>& device = torch::nullopt) const override {
    if (!adapters_.empty())
      throw error("peft::Linear: clone() with adapters attached is not supported; clone the model "
                  "before injecting, or merge and detach the adapters first");
    return torch::nn::LinearImpl::clone(device);
  }

  void pretty_print(std::ostream& stream) const override {
    stream << "autopeft::peft::Linear(in_features=" << options.in_features()
           << ", out_features=" << options.out_features() << ", bias=" << std::boolalpha << options.bias();
    if (!adapters_.empty()) {
      stream << ", adapters=[";
      for (std::size_t i = 0; i < adapters_.size(); ++i) stream << (i ? ", " : "") << adapters_[i].first;
      stream << "]";
    }
    stream << ")";
  }

 private:
  std::vector<std::pair<std::string, std::shared_ptr<linear_adapter>>> adapters_;
  bool enabled_ = true;
};

/// The holder: `autopeft::peft::Linear fc1{nullptr};`, `fc1 = register_module("fc1", Linear(8, 32));`.
TORCH_MODULE(Linear);

}  // namespace autopeft::peft
