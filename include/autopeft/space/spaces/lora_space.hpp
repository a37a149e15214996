#pragma once
// A LoRA space with a rank per layer and target: the ranks of the query and value projections of
// each of L layers, each in {0, 1, 2, 4, 8, 16} (0 = no LoRA at that site), set through LoRA's
// rank_pattern, and lora_alpha in {8, 16, 32}. Invalid: every rank 0. For 12 layers:
// 6^24 · 3 ≈ 1.42 · 10^19 points (just below 2^64), 3 · (6^24 - 1) valid. JSON:
//   {"query_r": [8, 0, ...], "value_r": [4, 4, ...], "lora_alpha": 16}
#include <autopeft/peft/lora.hpp>
#include <autopeft/space/bindings.hpp>
#include <autopeft/space/family.hpp>
#include <autopeft/space/not_all_zero.hpp>
#include <autopeft/space/options.hpp>
#include <autopeft/space/ordinal.hpp>
#include <autopeft/space/per_layer.hpp>
#include <autopeft/space/search_space.hpp>

namespace autopeft::space {

template <fixed_string Name>
using lora_ranks = ordinal<Name, 0, 1, 2, 4, 8, 16>;

template <std::size_t Layers = 12>
using lora_space = search_space<rank_pattern_of<peft::lora, "query", per_layer<lora_ranks<"query_r">, Layers>>,
                                rank_pattern_of<peft::lora, "value", per_layer<lora_ranks<"value_r">, Layers>>,
                                option_of<peft::lora, options::lora_alpha, ordinal<"lora_alpha", 8, 16, 32>>,
                                not_all_zero<"query_r", "value_r">>;

/// LoRA at query and value, dropout 0; ranks and alpha come from the configuration (to_plan).
template <std::size_t Layers = 12>
family_t<lora_space<Layers>> lora_base_plan() {
  return family_t<lora_space<Layers>>{peft::lora{}.target_modules({"query", "value"})};
}

}  // namespace autopeft::space
