#pragma once
// Root-mean-square layer normalisation (Zhang & Sennrich 2019), as Llama uses it:
// y = w * x / sqrt(mean(x^2) + eps), computed in fp32 and cast back to the input's dtype.
#include <torch/torch.h>

#include <cstdint>

namespace autopeft::model {

class RMSNormImpl : public torch::nn::Module {
 public:
  RMSNormImpl(std::int64_t hidden_size, double eps) : eps_(eps) {
    weight = register_parameter("weight", torch::ones({hidden_size}));
  }

  /// x [..., hidden] -> [..., hidden]
  torch::Tensor forward(const torch::Tensor& x) {
    const auto h = x.to(torch::kFloat32);
    const auto normed = h * torch::rsqrt(h.pow(2).mean(-1, /*keepdim=*/true) + eps_);
    return weight * normed.to(x.scalar_type());
  }

  torch::Tensor weight;

 private:
  double eps_;
};
TORCH_MODULE(RMSNorm);

}  // namespace autopeft::model
