#pragma once
// The serial (bottleneck) adapter (Houlsby et al., 2019, "Parameter-Efficient Transfer Learning
// for NLP"; Pfeiffer et al., 2021, "AdapterFusion"): h ← h + s · up(act(down(h))) on a
// sub-layer's output, before its Add & LayerNorm.
//   placement houlsby: after attention and after the FFN (two adapters per layer);
//   placement pfeiffer: after the FFN only (AutoPEFT's SA: ReLU, s = 1).
// Count per adapter 2·H·b + b + H (b = bottleneck_size).
#include <autopeft/error.hpp>
#include <autopeft/model/no_peft.hpp>
#include <autopeft/peft/bottleneck.hpp>
#include <autopeft/peft/size_member.hpp>
#include <autopeft/peft/target.hpp>

namespace autopeft::peft {

class serial_adapter_layer : public torch::nn::Module {
 public:
  serial_adapter_layer(std::int64_t hidden, std::int64_t size, const std::string& act, double scaling,
                       bool after_attention) {
    if (after_attention) attention = register_module("attention", std::make_shared<bottleneck>(hidden, size, act, scaling));
    output = register_module("output", std::make_shared<bottleneck>(hidden, size, act, scaling));
  }
  torch::Tensor after_attention(torch::Tensor h) { return attention ? h + attention->forward(h) : h; }
  torch::Tensor after_ffn(torch::Tensor h, const torch::Tensor&) { return h + output->forward(h); }

  std::shared_ptr<bottleneck> attention, output;
};

/// Example:
///   auto sa = peft::serial_adapter{}.bottleneck_size(48).placement(peft::serial_adapter::pfeiffer);
struct serial_adapter {
  enum placement_kind { houlsby, pfeiffer };
  static constexpr std::string_view name = "serial_adapter";
  using layer_module = serial_adapter_layer;
  using model_module = void;

  TORCH_ARG(std::int64_t, bottleneck_size) = 64;
  TORCH_ARG(placement_kind, placement) = pfeiffer;
  TORCH_ARG(std::string, non_linearity) = "relu";
  TORCH_ARG(double, scaling) = 1.0;
  TORCH_ARG(std::vector<std::int64_t>, layers_to_transform) = {};

 public:  // TORCH_ARG leaves the access private
  /// The size a search space's size_of<serial_adapter, D> sets.
  using size_option = size_member<&serial_adapter::bottleneck_size_>;
  std::shared_ptr<serial_adapter_layer> build_layer(const model::layer_context& ctx) const {
    if (bottleneck_size_ <= 0) throw error("serial_adapter: option 'bottleneck_size' must be positive");
    if (!layer_selected(layers_to_transform_, ctx.index)) return nullptr;
    return std::make_shared<serial_adapter_layer>(ctx.config.hidden_size, bottleneck_size_, non_linearity_,
                                                  scaling_, placement_ == houlsby);
  }
  [[nodiscard]] std::int64_t trainable_parameters(const model::EncoderConfig& c) const {
    std::int64_t layers = 0;
    for (std::int64_t l = 0; l < c.num_hidden_layers; ++l) layers += layer_selected(layers_to_transform_, l);
    return layers * (placement_ == houlsby ? 2 : 1) * bottleneck::count(c.hidden_size, bottleneck_size_);
  }
};

}  // namespace autopeft::peft
