#pragma once
// The constraint "not every component of these dimensions is at level 0": AutoPEFT's "at least
// one module on" (not_all_zero<"sa", "pa", "pt">) and "at least one layer on"
// (not_all_zero<"layers">).
#include <autopeft/space/configuration.hpp>
#include <autopeft/space/fixed_string.hpp>

#include <array>
#include <string_view>

namespace autopeft::space {

template <fixed_string... Names>
struct not_all_zero {
  static_assert(sizeof...(Names) > 0, "autopeft::space::not_all_zero: name at least one dimension");
  static constexpr std::array<std::string_view, sizeof...(Names)> names{Names.view()...};
  template <class Space>
  static bool satisfied(const Space& s, const configuration& c) {
    for (auto n : names) {
      const auto [offset, count] = s.components_of(n);
      for (std::size_t i = offset; i < offset + count; ++i)
        if (c.x[i] != 0) return true;
    }
    return false;
  }
};

}  // namespace autopeft::space
