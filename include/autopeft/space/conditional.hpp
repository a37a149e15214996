#pragma once
// A dimension that is active only when a parent dimension (named, declared earlier in the
// space) sits at one of the given levels (native values). Inactive, it is fixed at its level 0,
// left out of JSON, neighbours and validity checks.
//
//   conditional<integer_range<"r", 1, 64>, "method", 0>   // r only when method is its first choice
#include <autopeft/space/fixed_string.hpp>

#include <array>

namespace autopeft::space {

template <class Dim, fixed_string Parent, auto... ParentLevels>
struct conditional : Dim {
  static_assert(sizeof...(ParentLevels) > 0,
                "autopeft::space::conditional: give at least one parent level that activates the dimension");
  using dimension_type = Dim;
  static constexpr std::string_view parent = Parent.view();
  static constexpr std::array<double, sizeof...(ParentLevels)> parent_levels{static_cast<double>(ParentLevels)...};
  static constexpr bool is_conditional = true;
  static constexpr bool active_for(double parent_value) {
    for (auto l : parent_levels)
      if (l == parent_value) return true;
    return false;
  }
};

}  // namespace autopeft::space
