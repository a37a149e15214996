#pragma once
// The bottleneck block shared by the serial and parallel adapters:
//   delta(x) = s · up(act(down(x))),  down: H → b, up: b → H,
// down kaiming-uniform (LibTorch's Linear default, as HF and the AutoPEFT reference), up zero,
// so the block adds nothing at initialisation. Count 2·H·b + b + H.
#include <autopeft/model/activation.hpp>

#include <torch/torch.h>

namespace autopeft::peft {

class bottleneck : public torch::nn::Module {
 public:
  bottleneck(std::int64_t hidden, std::int64_t size, const std::string& non_linearity, double scaling)
      : act_(non_linearity), scaling_(scaling) {
    down = register_module("down", torch::nn::Linear(hidden, size));
    up = register_module("up", torch::nn::Linear(size, hidden));
    torch::NoGradGuard ng;
    up->weight.zero_();
    up->bias.zero_();
  }
  torch::Tensor forward(const torch::Tensor& x) { return up->forward(act_(down->forward(x))) * scaling_; }

  static std::int64_t count(std::int64_t hidden, std::int64_t size) { return 2 * hidden * size + size + hidden; }

  torch::nn::Linear down{nullptr}, up{nullptr};

 private:
  model::activation act_;
  double scaling_;
};

}  // namespace autopeft::peft
