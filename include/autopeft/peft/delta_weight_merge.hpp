#pragma once
// Merge and unmerge for a site module whose update is a weight delta, y = W x + b + ΔW x (LoHa,
// LoKr, VeRA): merging adds ΔW to the base weight, unmerging subtracts it again. A site derives
// from delta_weight_merge<Site> (CRTP) and provides
//   torch::Tensor delta_weight() const;   // ΔW [out, in]
// and its output() returns y unchanged while merged(), since the base weight then holds ΔW.
//
// Example:
//   class my_site : public torch::nn::Module, public peft::delta_weight_merge<my_site> {
//    public:
//     torch::Tensor delta_weight() const { return torch::matmul(b, a); }
//     torch::Tensor output(const torch::Tensor& x, torch::Tensor y, torch::nn::LinearImpl&) {
//       return merged() ? y : y + torch::linear(x, delta_weight());
//     }
//     torch::Tensor a, b;
//   };
#include <torch/torch.h>

#include <utility>

namespace autopeft::peft {

template <class Site>
class delta_weight_merge {
 public:
  /// Folds ΔW into the base weight (outputs unchanged); unmerge() undoes it.
  void merge(torch::nn::LinearImpl& base) {
    if (merged_) return;
    torch::NoGradGuard ng;
    base.weight.add_(site().delta_weight().to(base.weight.scalar_type()));
    merged_ = true;
  }
  void unmerge(torch::nn::LinearImpl& base) {
    if (!merged_) return;
    torch::NoGradGuard ng;
    base.weight.sub_(site().delta_weight().to(base.weight.scalar_type()));
    merged_ = false;
  }
  [[nodiscard]] bool merged() const { return merged_; }

  /// The weight and bias of the one Linear that computes base-then-this-site, (W + ΔW, b),
  /// differentiable in the site's parameters (see peft::linear_parametrization); (w, b)
  /// unchanged while merged. A site whose training update is random (LoHa's and LoKr's rank and
  /// module dropout) provides `torch::Tensor sampled_delta_weight()`, the ΔW its output() applies
  /// in this step (undefined: no update this step); the plain delta_weight() otherwise.
  [[nodiscard]] std::pair<torch::Tensor, torch::Tensor> reparametrize(const torch::Tensor& w, const torch::Tensor& b) {
    if (merged_) return {w, b};
    torch::Tensor d;
    if constexpr (requires(Site& s) { s.sampled_delta_weight(); }) d = static_cast<Site&>(*this).sampled_delta_weight();
    else d = site().delta_weight();
    if (!d.defined()) return {w, b};
    return {w + d.to(w.scalar_type()), b};
  }

 private:
  const Site& site() const { return static_cast<const Site&>(*this); }
  bool merged_ = false;
};

}  // namespace autopeft::peft
