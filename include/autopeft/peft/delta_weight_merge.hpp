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

 private:
  const Site& site() const { return static_cast<const Site&>(*this); }
  bool merged_ = false;
};

}  // namespace autopeft::peft
