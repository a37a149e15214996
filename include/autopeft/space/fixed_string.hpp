#pragma once
// A string usable as a template argument (C++20 class-type NTTP): dimension names are types.
#include <algorithm>
#include <cstddef>
#include <string_view>

namespace autopeft::space {

template <std::size_t N>
struct fixed_string {
  char data[N]{};
  constexpr fixed_string(const char (&s)[N]) { std::copy_n(s, N, data); }  // NOLINT: implicit by design
  [[nodiscard]] constexpr std::string_view view() const { return {data, N - 1}; }
  constexpr operator std::string_view() const { return view(); }  // NOLINT
  template <std::size_t M>
  constexpr bool operator==(const fixed_string<M>& o) const { return view() == o.view(); }
};

}  // namespace autopeft::space
