#pragma once
// The parallel (scaled) adapter (He et al., 2022, "Towards a Unified View of Parameter-Efficient
// Transfer Learning"): the FFN output gains s · up(act(down(x))) computed from the FFN input x,
// before Add & LayerNorm. AutoPEFT's PA: ReLU, s = 4. Count per layer 2·H·b + b + H.
#include <autopeft/error.hpp>
#include <autopeft/model/no_peft.hpp>
#include <autopeft/peft/bottleneck.hpp>
#include <autopeft/peft/size_member.hpp>
#include <autopeft/peft/target.hpp>

namespace autopeft::peft {

class parallel_adapter_layer : public torch::nn::Module {
 public:
  parallel_adapter_layer(std::int64_t hidden, std::int64_t size, const std::string& act, double scaling) {
    adapter = register_module("adapter", std::make_shared<bottleneck>(hidden, size, act, scaling));
  }
  torch::Tensor after_ffn(torch::Tensor h, const torch::Tensor& ffn_input) { return h + adapter->forward(ffn_input); }
  std::shared_ptr<bottleneck> adapter;
};

/// Example:
///   auto pa = peft::parallel_adapter{}.bottleneck_size(96).scaling(4.0);
struct parallel_adapter {
  static constexpr std::string_view name = "parallel_adapter";
  using layer_module = parallel_adapter_layer;
  using model_module = void;

  TORCH_ARG(std::int64_t, bottleneck_size) = 64;
  TORCH_ARG(std::string, non_linearity) = "relu";
  TORCH_ARG(double, scaling) = 4.0;
  TORCH_ARG(std::vector<std::int64_t>, layers_to_transform) = {};

 public:  // TORCH_ARG leaves the access private
  /// The size a search space's size_of<parallel_adapter, D> sets.
  using size_option = size_member<&parallel_adapter::bottleneck_size_>;
  std::shared_ptr<parallel_adapter_layer> build_layer(const model::layer_context& ctx) const {
    if (bottleneck_size_ <= 0) throw error("parallel_adapter: option 'bottleneck_size' must be positive");
    if (!layer_selected(layers_to_transform_, ctx.index)) return nullptr;
    return std::make_shared<parallel_adapter_layer>(ctx.config.hidden_size, bottleneck_size_, non_linearity_, scaling_);
  }
  [[nodiscard]] std::int64_t trainable_parameters(const model::EncoderConfig& c) const {
    std::int64_t layers = 0;
    for (std::int64_t l = 0; l < c.num_hidden_layers; ++l) layers += layer_selected(layers_to_transform_, l);
    return layers * bottleneck::count(c.hidden_size, bottleneck_size_);
  }
};

}  // namespace autopeft::peft
