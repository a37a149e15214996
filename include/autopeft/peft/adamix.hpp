#pragma once
// AdaMix (Wang et al., 2022, "AdaMix: Mixture-of-Adaptations for Parameter-efficient Model
// Tuning"): a mixture of M bottleneck adapter experts after each layer's FFN (before Add &
// LayerNorm), with stochastic routing in training and merged weights at inference,
//
//   training:   h ← h + s · up_j(act(down_i(h))),   i, j ~ U{0..M−1} drawn independently, once per
//               forward call (the whole batch takes the same pair, as in the paper's code);
//   inference:  h ← h + s · up_avg(act(down_avg(h))),  down_avg = (1/M) Σ_i down_i (weights and
//               biases averaged: the paper's "adaptation merging"), up_avg likewise.
// The experts of a projection are stored stacked ([M, ...] tensors), so a backward pass defines
// the gradient of every expert tensor; rows of experts not picked in that step are zero.
// Down experts start as LibTorch's Linear (kaiming-uniform weight, uniform bias), independently
// per expert; up experts start at zero, so a fresh AdaMix leaves the backbone unchanged.
// The paper's consistency regularisation (a KL term between two stochastic forward passes) and
// the adapter-sharing variant are not implemented: the policy has no loss hook, and a training
// loop can add the term by calling the model twice.
//
// Options: num_experts M (4), bottleneck_size b (16), non_linearity ("relu"), scaling s (1),
// layers_to_transform.
// Trainable parameters: L · M · (2·H·b + b + H) for L selected layers.
#include <autopeft/error.hpp>
#include <autopeft/model/activation.hpp>
#include <autopeft/model/no_peft.hpp>
#include <autopeft/peft/target.hpp>

#include <torch/torch.h>

#include <cmath>
#include <utility>

namespace autopeft::peft {

class adamix_layer : public torch::nn::Module {
 public:
  adamix_layer(std::int64_t hidden, std::int64_t size, std::int64_t experts, const std::string& act, double scaling)
      : act_(act), scaling_(scaling) {
    down_weight = register_parameter("down_weight", torch::empty({experts, size, hidden}));
    down_bias = register_parameter("down_bias", torch::empty({experts, size}));
    up_weight = register_parameter("up_weight", torch::zeros({experts, hidden, size}));
    up_bias = register_parameter("up_bias", torch::zeros({experts, hidden}));
    torch::NoGradGuard ng;
    const double bound = 1.0 / std::sqrt(static_cast<double>(hidden));
    for (std::int64_t e = 0; e < experts; ++e) torch::nn::init::kaiming_uniform_(down_weight[e], std::sqrt(5.0));
    down_bias.uniform_(-bound, bound);
  }

  /// h [B, S, H] → h + s · up(act(down(h))), with random experts in training, averaged ones otherwise.
  torch::Tensor after_ffn(torch::Tensor h, const torch::Tensor& /*ffn_input*/) {
    if (is_training()) {
      const auto m = down_weight.size(0);
      const auto i = torch::randint(m, {1}, torch::kLong).item<std::int64_t>();
      const auto j = torch::randint(m, {1}, torch::kLong).item<std::int64_t>();
      last_choice_ = {i, j};
      return h + adapter(h, down_weight[i], down_bias[i], up_weight[j], up_bias[j]);
    }
    return h + adapter(h, down_weight.mean(0), down_bias.mean(0), up_weight.mean(0), up_bias.mean(0));
  }

  /// (down expert, up expert) of the last training forward; (−1, −1) before any.
  [[nodiscard]] std::pair<std::int64_t, std::int64_t> last_choice() const { return last_choice_; }
  [[nodiscard]] double scaling() const { return scaling_; }

  torch::Tensor down_weight;  ///< [M, b, H]
  torch::Tensor down_bias;    ///< [M, b]
  torch::Tensor up_weight;    ///< [M, H, b]
  torch::Tensor up_bias;      ///< [M, H]

 private:
  torch::Tensor adapter(const torch::Tensor& h, const torch::Tensor& dw, const torch::Tensor& db,
                        const torch::Tensor& uw, const torch::Tensor& ub) const {
    return torch::linear(act_(torch::linear(h, dw, db)), uw, ub) * scaling_;
  }
  model::activation act_;
  double scaling_;
  std::pair<std::int64_t, std::int64_t> last_choice_{-1, -1};
};

/// Example:
///   auto p = peft::adamix{}.num_experts(4).bottleneck_size(16);
struct adamix {
  static constexpr std::string_view name = "adamix";
  using layer_module = adamix_layer;
  using model_module = void;

  TORCH_ARG(std::int64_t, num_experts) = 4;
  TORCH_ARG(std::int64_t, bottleneck_size) = 16;
  TORCH_ARG(std::string, non_linearity) = "relu";
  TORCH_ARG(double, scaling) = 1.0;
  TORCH_ARG(std::vector<std::int64_t>, layers_to_transform) = {};

 public:  // TORCH_ARG leaves the access private
  std::shared_ptr<adamix_layer> build_layer(const model::layer_context& ctx) const {
    check();
    if (!layer_selected(layers_to_transform_, ctx.index)) return nullptr;
    return std::make_shared<adamix_layer>(ctx.config.hidden_size, bottleneck_size_, num_experts_, non_linearity_,
                                          scaling_);
  }
  [[nodiscard]] std::int64_t trainable_parameters(const model::EncoderConfig& c) const {
    check();
    std::int64_t layers = 0;
    for (std::int64_t l = 0; l < c.num_hidden_layers; ++l) layers += layer_selected(layers_to_transform_, l);
    const auto h = c.hidden_size, b = bottleneck_size_;
    return layers * num_experts_ * (2 * h * b + b + h);
  }

 private:
  void check() const {
    if (num_experts_ <= 0) throw error("adamix: option 'num_experts' must be positive, got " + std::to_string(num_experts_));
    if (bottleneck_size_ <= 0)
      throw error("adamix: option 'bottleneck_size' must be positive, got " + std::to_string(bottleneck_size_));
  }
};

}  // namespace autopeft::peft
