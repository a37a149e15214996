#pragma once
// A one-hot encoding for kernels that should not order categories: every component of a
// categorical dimension (categorical<...>, a per_layer or conditional over one) becomes k 0/1
// entries, entry i set for choice i; every other component is encoded as Space::encode does.
// An inactive conditional categorical sits at its level 0 (the canonical form), so it encodes
// as choice 0. one_hot_width<Space> is the length of the vector.
#include <autopeft/space/configuration.hpp>
#include <autopeft/space/search_space.hpp>

#include <cstddef>
#include <vector>

namespace autopeft::space {

namespace detail {
template <class D>
constexpr bool one_hot_expanded = false;
template <class D>
  requires requires { D::is_categorical; }
constexpr bool one_hot_expanded<D> = D::is_categorical;

template <class D>
constexpr std::size_t one_hot_components = one_hot_expanded<D> ? D::components * D::levels : D::components;
}  // namespace detail

/// Length of encode_one_hot's vector: the categorical components times their number of
/// choices, plus every other component.
template <class Space>
inline constexpr std::size_t one_hot_width =
    std::apply([](auto... d) { return (std::size_t{0} + ... + detail::one_hot_components<decltype(d)>); },
               typename Space::dimensions{});

/// The configuration in [0, 1]^one_hot_width<Space>, in the space's dimension order.
template <class Space>
std::vector<double> encode_one_hot(const Space&, const configuration& c) {
  if (c.x.size() != Space::num_components)
    throw error("encode_one_hot: the configuration has " + std::to_string(c.x.size()) + " components, the space " +
                std::to_string(Space::num_components));
  std::vector<double> u;
  u.reserve(one_hot_width<Space>);
  Space::for_each_dim([&]<std::size_t I, class D>() {
    for (std::size_t k = Space::offsets[I]; k < Space::offsets[I + 1]; ++k) {
      if constexpr (detail::one_hot_expanded<D>) {
        for (std::size_t i = 0; i < D::levels; ++i) u.push_back(static_cast<double>(i) == c.x[k] ? 1.0 : 0.0);
      } else {
        u.push_back(D::encode(c.x[k]));
      }
    }
  });
  return u;
}

}  // namespace autopeft::space
