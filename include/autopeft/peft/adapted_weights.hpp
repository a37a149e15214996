#pragma once
// The scope in which the plain torch::nn::Linear layers that peft::inject adapted compute their
// adapted outputs (peft/linear_parametrization.hpp): while it lives, each such Linear's `weight`
// and `bias` members hold the base weights with the adapters folded in, built with autograd from
// the current adapter parameters; at its end the registered weights are back.
//
// Hold one around every forward that should see the adapters, training and evaluation alike,
// and build it anew each step: the folded weights are computed once, at construction, so after
// an optimiser step a new guard picks up the new adapter values. The backward may run inside or
// after the scope. Guards nest. The model must outlive the guard. Merged adapters
// (peft::merge_adapter, merge_and_unload) need no guard. Layers declared autopeft::peft::Linear
// ignore it (their forward applies the adapters itself), so one training loop serves both.
//
// Example:
//   for (int step = 0; step < steps; ++step) {
//     peft::adapted_weights adapted(*net);             // W' = W + sBA for this step
//     auto loss = torch::mse_loss(net->forward(x), y);
//     opt.zero_grad();
//     loss.backward();
//     opt.step();
//   }
#include <autopeft/peft/linear_parametrization.hpp>

#include <torch/torch.h>

#include <memory>
#include <vector>

namespace autopeft::peft {

class adapted_weights {
 public:
  explicit adapted_weights(torch::nn::Module& model) {
    try {
      for (const auto& item : model.named_modules("", true))
        if (auto p = std::dynamic_pointer_cast<linear_parametrization>(item.value())) {
          p->apply();
          layers_.push_back(std::move(p));
        }
    } catch (...) {  // an adapter that cannot fold (input dropout while training): leave nothing swapped
      release();
      throw;
    }
  }
  ~adapted_weights() { release(); }
  adapted_weights(const adapted_weights&) = delete;
  adapted_weights& operator=(const adapted_weights&) = delete;

  /// How many plain Linear layers the guard adapts (0 for a model without any).
  [[nodiscard]] std::size_t size() const { return layers_.size(); }

 private:
  void release() noexcept {
    for (auto it = layers_.rbegin(); it != layers_.rend(); ++it) (*it)->restore();
    layers_.clear();
  }
  std::vector<std::shared_ptr<linear_parametrization>> layers_;
};

}  // namespace autopeft::peft
