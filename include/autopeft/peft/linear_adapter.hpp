#pragma once
// The type-erased view of one site module of a linear-site policy, as the Linears that carry
// adapters hold it (autopeft::peft::Linear, linear_parametrization), and the concept a site module
// meets to be attached.
#include <autopeft/error.hpp>

#include <torch/torch.h>

#include <concepts>
#include <memory>
#include <utility>

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

}  // namespace autopeft::peft
