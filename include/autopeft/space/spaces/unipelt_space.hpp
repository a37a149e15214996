#pragma once
// A UniPELT space over peft::unipelt's sizes: LoRA's r in {1, 2, 4, 8, 16}, the prefix length in
// {0, 1, 3, 6, 12, 24, 48} and the adapter bottleneck in {1, 3, 6, 12, ..., 768}. Only the
// prefix can be switched off (0): peft::unipelt always carries its gated LoRA and adapter
// (r and bottleneck_size must be positive), so those two lists start at 1. All 5 · 7 · 10 = 350
// points are valid.
#include <autopeft/peft/unipelt.hpp>
#include <autopeft/space/bindings.hpp>
#include <autopeft/space/family.hpp>
#include <autopeft/space/options.hpp>
#include <autopeft/space/ordinal.hpp>
#include <autopeft/space/search_space.hpp>

namespace autopeft::space {

using unipelt_space =
    search_space<option_of<peft::unipelt, options::unipelt_r, ordinal<"lora_r", 1, 2, 4, 8, 16>>,
                 option_of<peft::unipelt, options::unipelt_num_virtual_tokens, ordinal<"prefix_length", 0, 1, 3, 6, 12, 24, 48>>,
                 option_of<peft::unipelt, options::unipelt_bottleneck_size,
                           ordinal<"bottleneck_size", 1, 3, 6, 12, 24, 48, 96, 192, 384, 768>>>;

/// peft::unipelt's defaults (lora_alpha 16, no prefix reparametrisation, ReLU adapter); sizes
/// come from the configuration (to_plan).
inline family_t<unipelt_space> unipelt_base_plan() { return family_t<unipelt_space>{peft::unipelt{}}; }

}  // namespace autopeft::space
