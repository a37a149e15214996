#pragma once
// The Mix-and-Match (MAM) adapter space (He et al., ICLR 2022, "Towards a Unified View of
// Parameter-Efficient Transfer Learning"): prefix tuning at the attention with a prefix length
// in {0, 1, 3, 6, 12, 24, 48}, and a scaled parallel adapter at the FFN with a bottleneck in
// AutoPEFT's {0, 1, 3, 6, ..., 768}; 0 switches a module off and at least one must be on.
// 7 · 11 = 77 points, 76 valid.
#include <autopeft/peft/parallel_adapter.hpp>
#include <autopeft/peft/prefix_tuning.hpp>
#include <autopeft/space/bindings.hpp>
#include <autopeft/space/family.hpp>
#include <autopeft/space/not_all_zero.hpp>
#include <autopeft/space/ordinal.hpp>
#include <autopeft/space/search_space.hpp>
#include <autopeft/space/spaces/autopeft_space.hpp>

namespace autopeft::space {

using mam_space = search_space<size_of<peft::prefix_tuning, ordinal<"prefix_length", 0, 1, 3, 6, 12, 24, 48>>,
                               size_of<peft::parallel_adapter, autopeft_sizes<"pa_bottleneck">>,
                               not_all_zero<"prefix_length", "pa_bottleneck">>;

/// The paper's MAM modules: prefix tuning reparametrised by an MLP of width 800, the parallel
/// adapter scaled by 4 (ReLU); sizes come from the configuration (to_plan).
inline family_t<mam_space> mam_base_plan() {
  return family_t<mam_space>{peft::prefix_tuning{}.prefix_projection(true).encoder_hidden_size(800),
                             peft::parallel_adapter{}.non_linearity("relu").scaling(4.0)};
}

}  // namespace autopeft::space
