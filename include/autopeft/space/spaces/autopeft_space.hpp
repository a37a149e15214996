#pragma once
// AutoPEFT's search space (Zhou et al., TACL 2024): serial adapter (SA) bottleneck, parallel
// adapter (PA) bottleneck and prefix length (PT), each in {0, 1, 3, 6, 12, 24, 48, 96, 192,
// 384, 768} (0 = off), and one on/off switch per layer (an off layer carries none of the
// three). Invalid: every layer off, or all three modules off. For 12 layers: 11³ · 2¹² =
// 5,451,776 points, 5,446,350 valid.
#include <autopeft/peft/parallel_adapter.hpp>
#include <autopeft/peft/prefix_tuning.hpp>
#include <autopeft/peft/serial_adapter.hpp>
#include <autopeft/space/bindings.hpp>
#include <autopeft/space/family.hpp>
#include <autopeft/space/layer_mask.hpp>
#include <autopeft/space/not_all_zero.hpp>
#include <autopeft/space/ordinal.hpp>
#include <autopeft/space/search_space.hpp>

namespace autopeft::space {

template <fixed_string Name>
using autopeft_sizes = ordinal<Name, 0, 1, 3, 6, 12, 24, 48, 96, 192, 384, 768>;

template <std::size_t Layers = 12>
using autopeft_space = search_space<size_of<peft::serial_adapter, autopeft_sizes<"sa">>,
                                    size_of<peft::parallel_adapter, autopeft_sizes<"pa">>,
                                    size_of<peft::prefix_tuning, autopeft_sizes<"pt">>,
                                    layers_of<layer_mask<"layers", Layers>>,
                                    not_all_zero<"sa", "pa", "pt">, not_all_zero<"layers">>;

/// The reference code's module options: SA after the FFN (ReLU, scaling 1), PA in parallel to
/// the FFN (ReLU, scaling 4), prefix tuning with the tanh MLP of width 800. Sizes and layers come
/// from the configuration (to_plan).
template <std::size_t Layers = 12>
family_t<autopeft_space<Layers>> autopeft_base_plan() {
  return family_t<autopeft_space<Layers>>{
      peft::serial_adapter{}.placement(peft::serial_adapter::pfeiffer).non_linearity("relu").scaling(1.0),
      peft::parallel_adapter{}.non_linearity("relu").scaling(4.0),
      peft::prefix_tuning{}.prefix_projection(true).encoder_hidden_size(800)};
}

}  // namespace autopeft::space
