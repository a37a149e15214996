#pragma once
// The configuration of a search space nearest a hand-designed method (peft::hand_designed):
// each of the method's policies gets the level of the space's size_of dimension for it nearest
// the method's size (in log scale: Pfeiffer's bottleneck H/16 = 8 becomes 6 on AutoPEFT's
// {0, 1, 3, 6, 12, ...}), every other sized policy is off, every layer is on, and a dimension
// named "lr" takes the level nearest the given rate (in log scale). Other options (LoRA's
// alpha, the adapters' scaling) are the space's base plan's, not the method's. A method with a
// policy the space has no size dimension for (BitFit, UniPELT; LoRA in the paper's space) has
// no such configuration.
//
// Why: a search whose initial design holds the methods a user would otherwise pick starts from
// them and improves on them (the MOBO local search starts at the Pareto points), as SMAC
// evaluates the default configuration first (Hutter et al., 2011; Lindauer et al., 2022) and
// Optuna's enqueue_trial seeds a study with known configurations. study_options::
// initial_configurations takes the result.
//
// Example:
//   auto c = search::hand_designed_in_space<space::autopeft_lora_space<12>>("pfeiffer", backbone_config, 3e-3);
//   // c: sa = 48 (768 / 16), every other module off, every layer on, lr = 3e-3
#include <autopeft/model/encoder_config.hpp>
#include <autopeft/peft/hand_designed.hpp>
#include <autopeft/space/configuration.hpp>
#include <autopeft/space/family.hpp>

#include <cmath>
#include <cstddef>
#include <limits>
#include <optional>
#include <string_view>
#include <tuple>
#include <type_traits>

namespace autopeft::search {

namespace detail {

// The level of `values` nearest `target` in log scale among the positive values (target > 0),
// or the level holding 0 (target == 0); -1 when there is none.
template <class Values>
std::ptrdiff_t nearest_level(const Values& values, double target) {
  std::ptrdiff_t best = -1;
  double best_distance = std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < values.size(); ++i) {
    const auto v = static_cast<double>(values[i]);
    if (target == 0) {
      if (v == 0) return static_cast<std::ptrdiff_t>(i);
      continue;
    }
    if (!(v > 0)) continue;
    const double d = std::abs(std::log(v) - std::log(target));
    if (d < best_distance) best_distance = d, best = static_cast<std::ptrdiff_t>(i);
  }
  return best;
}

template <class Space, class P>
constexpr bool space_sizes() {
  bool found = false;
  Space::for_each_dim([&]<std::size_t I, class D>() {
    if constexpr (space::detail::sizes_policy<D>) found = found || std::is_same_v<typename D::policy, P>;
  });
  return found;
}

template <class Plan, class P>
struct plan_holds : std::false_type {};
template <class... Ps, class P>
struct plan_holds<peft::plan<Ps...>, P> : std::bool_constant<(std::is_same_v<P, Ps> || ...)> {};

}  // namespace detail

/// `name`'s nearest configuration of Space for a backbone of config `c` at rate `lr`, or nullopt
/// when Space cannot express the method (see the header comment).
template <class Space>
std::optional<space::configuration> hand_designed_in_space(std::string_view name, const model::EncoderConfig& c, double lr) {
  const auto method = peft::hand_designed(name, c);
  if (method.full_finetuning) return std::nullopt;
  using family = peft::hand_designed_family;
  // Every policy the method switches on needs a size dimension in the space.
  bool expressible = true;
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    ((expressible = expressible && (!method.plan.enabled[I] ||
                                    detail::space_sizes<Space, std::tuple_element_t<I, decltype(family::policies)>>())),
     ...);
  }(std::make_index_sequence<std::tuple_size_v<decltype(family::policies)>>{});
  if (!expressible) return std::nullopt;

  space::configuration out{std::vector<double>(Space::num_components, 0.0)};
  bool ok = true;
  Space::for_each_dim([&]<std::size_t I, class D>() {
    const auto at = Space::offsets[I];
    if constexpr (space::detail::sizes_policy<D> && requires { D::values; }) {
      using P = typename D::policy;
      double size = 0;
      if constexpr (detail::plan_holds<family, P>::value)
        if (method.plan.template is_enabled<P>()) size = static_cast<double>(P::size_option::get(method.plan.template get<P>()));
      const auto level = detail::nearest_level(D::values, size);
      if (level < 0) ok = false;
      else out.x[at] = static_cast<double>(level);
    } else if constexpr (space::detail::sets_layers<D>) {
      for (std::size_t k = at; k < Space::offsets[I + 1]; ++k) out.x[k] = 1.0;
    } else if constexpr (requires { D::values; }) {
      if (D::name == "lr") {
        const auto level = detail::nearest_level(D::values, lr);
        if (level < 0) ok = false;
        else out.x[at] = static_cast<double>(level);
      } else {
        for (std::size_t k = at; k < Space::offsets[I + 1]; ++k) out.x[k] = D::decode(0.0);
      }
    } else {
      for (std::size_t k = at; k < Space::offsets[I + 1]; ++k) out.x[k] = D::decode(0.0);
    }
  });
  if (!ok || !Space::valid(out)) return std::nullopt;
  return Space::canonical(out);
}

}  // namespace autopeft::search
