#pragma once
// How dimensions drive PEFT policies:
//   size_of<P, D>:            D's value sets policy P's size (P::size_option); a value of 0
//                             switches P off;
//   option_of<P, Option, D>:  D's value sets one other option of P through
//                             Option::set(P&, value) (LoRA's alpha, UniPELT's r, ...); P stays on;
//   rank_pattern_of<P, "target", per_layer<D, L>>:
//                             layer l's value is the rank of P at the sites of layer l that
//                             "target" selects (HF's rank_pattern; a rank of 0 leaves the site
//                             without P);
//   layers_of<D>:             a layer_mask D is the plan's per-layer switch (and each policy's
//                             layers_to_transform).
// The policies of the size_of, option_of and rank_pattern_of bindings form the space's
// *family* (space::family_t<Space>). Declaring a binding needs no PEFT header; deriving the
// family checks that P is a policy.
#include <autopeft/space/fixed_string.hpp>

namespace autopeft::space {

template <class Policy, class Dim>
struct size_of : Dim {
  using policy = Policy;
  using dimension_type = Dim;
  static constexpr bool is_size_binding = true;
};

template <class Policy, class Option, class Dim>
struct option_of : Dim {
  using policy = Policy;
  using option = Option;
  using dimension_type = Dim;
  static constexpr bool is_option_binding = true;
};

template <class Policy, fixed_string Target, class PerLayerDim>
struct rank_pattern_of : PerLayerDim {
  using policy = Policy;
  using dimension_type = PerLayerDim;
  static constexpr std::string_view target = Target.view();
  static constexpr bool is_rank_pattern_binding = true;
};

template <class Dim>
struct layers_of : Dim {
  using dimension_type = Dim;
  static constexpr bool is_layers_binding = true;
};

}  // namespace autopeft::space
