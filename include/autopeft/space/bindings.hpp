#pragma once
// How dimensions drive PEFT policies:
//   size_of<P, D>:  D's value sets policy P's size (policy_size<P>); a value of 0 switches P off;
//   layers_of<D>:   a layer_mask D is the plan's per-layer switch (and each policy's
//                   layers_to_transform).
// The policies of the size_of bindings form the space's *family* (space::family_t<Space>).
// Declaring a binding needs no PEFT header; deriving the family checks that P is a policy.

namespace autopeft::space {

template <class Policy, class Dim>
struct size_of : Dim {
  using policy = Policy;
  using dimension_type = Dim;
  static constexpr bool is_size_binding = true;
};

template <class Dim>
struct layers_of : Dim {
  using dimension_type = Dim;
  static constexpr bool is_layers_binding = true;
};

}  // namespace autopeft::space
