#pragma once
// The default search space of `autopeft search`: AutoPEFT's SA/PA/PT space (autopeft_space.hpp)
// with LoRA at the attention projections, (IA)³ and the learning rate added.
//
//   sa, pa, pt  AutoPEFT's sizes {0, 1, 3, 6, 12, 24, 48, 96, 192, 384, 768} (0 = off)
//   lora_r      LoRA rank on query and value, {0, 1, 2, 4, 8, 16, 32, 64} (0 = off), lora_alpha 16
//   ia3         (IA)³ on key, value and the FFN output (HF PEFT's BERT targets), {0 = off, 1 = on}
//   lr          peak learning rate of the trial, {1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2}
//   layers      one switch per layer: an off layer carries none of the five modules
// Invalid: every layer off, or all five modules off. For 12 layers: 11³ · 8 · 2 · 6 · 2^12 =
// 523,370,496 points, (11³ · 8 · 2 - 1) · 6 · (2^12 - 1) = 523,218,150 valid.
//
// Why LoRA: between 0.5 % and 2 % of the parameters, LoRA on query and value led every
// adapter configuration of the paper's space (docs/results/autopeft_vs_baselines.md), and the
// paper's space has nothing at the attention projections. With every layer on and r = 8 the
// space holds LoRA r=8 itself (lora_alpha 16, as peft::hand_designed's "lora8"). Why (IA)³: it
// is the cheapest strong method a user would pick (a few scaling vectors per layer); the search
// should be able to combine it with the others, not only compete with it.
// Why the learning rate: one rate for all collapses some modules (prefix tuning and MAM at
// 2e-3) while it starves others; a dimension lets each configuration train at its own rate
// (peft_evaluator reads a dimension named "lr"). The grid is log-spaced in half decades, from
// the reference's 1e-4 (BERT-base) up to 3e-2 (scaling vectors and small backbones, short
// trials).
#include <autopeft/peft/ia3.hpp>
#include <autopeft/peft/lora.hpp>
#include <autopeft/space/ordinal.hpp>
#include <autopeft/space/spaces/autopeft_space.hpp>

namespace autopeft::space {

template <std::size_t Layers = 12>
using autopeft_lora_space = search_space<size_of<peft::serial_adapter, autopeft_sizes<"sa">>,
                                         size_of<peft::parallel_adapter, autopeft_sizes<"pa">>,
                                         size_of<peft::prefix_tuning, autopeft_sizes<"pt">>,
                                         size_of<peft::lora, ordinal<"lora_r", 0, 1, 2, 4, 8, 16, 32, 64>>,
                                         size_of<peft::ia3, ordinal<"ia3", 0, 1>>,
                                         ordinal<"lr", 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2>,
                                         layers_of<layer_mask<"layers", Layers>>,
                                         not_all_zero<"sa", "pa", "pt", "lora_r", "ia3">, not_all_zero<"layers">>;

/// AutoPEFT's module options (autopeft_base_plan) plus LoRA on query and value with
/// lora_alpha 16 and no dropout, and (IA)³ with HF PEFT's BERT targets; sizes, layers and the
/// rate come from the configuration.
template <std::size_t Layers = 12>
family_t<autopeft_lora_space<Layers>> autopeft_lora_base_plan() {
  return family_t<autopeft_lora_space<Layers>>{
      peft::serial_adapter{}.placement(peft::serial_adapter::pfeiffer).non_linearity("relu").scaling(1.0),
      peft::parallel_adapter{}.non_linearity("relu").scaling(4.0),
      peft::prefix_tuning{}.prefix_projection(true).encoder_hidden_size(800),
      peft::lora{}.target_modules({"query", "value"}).lora_alpha(16), peft::ia3{}};
}

}  // namespace autopeft::space
