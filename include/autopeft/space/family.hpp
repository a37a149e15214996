#pragma once
// From a space to PEFT: family_t<Space> is the peft::plan over the policies its size_of,
// option_of and rank_pattern_of bindings name (in declaration order, each once); to_plan(space, config, base) turns a
// configuration into that plan, on top of `base`'s other options. The model type of a space is
// then e.g. model::SequenceClassifier<family_t<Space>>: a policy no binding names has no slot.
#include <autopeft/peft/concepts.hpp>
#include <autopeft/peft/plan.hpp>
#include <autopeft/peft/target.hpp>
#include <autopeft/space/bindings.hpp>
#include <autopeft/space/search_space.hpp>

#include <tuple>
#include <type_traits>
#include <vector>

namespace autopeft::space {

namespace detail {

template <class D>
concept sizes_policy = requires { D::is_size_binding; typename D::policy; };
template <class D>
concept sets_option = requires { D::is_option_binding; typename D::policy; typename D::option; };
template <class D>
concept sets_rank_pattern = requires { D::is_rank_pattern_binding; typename D::policy; };
template <class D>
concept binds_policy = requires { typename D::policy; };
template <class D>
concept sets_layers = requires { D::is_layers_binding; };

/// A size_of<P, D> binding's check: P carries its size option.
template <class P>
constexpr bool check_size_option() {
  if constexpr (peft::policy<P> && !peft::sized_policy<P>)
    static_assert(peft::dependent_false<P>,
                  "autopeft::space::size_of<P, D>: policy P lacks its size option `struct size_option { static void "
                  "set(P&, std::int64_t); static std::int64_t get(const P&); };`, the option D sets (for one integer "
                  "option r: `using size_option = peft::size_member<&P::r_>;`; see \"Add a policy\" in "
                  "docs/ARCHITECTURE.md)");
  return true;
}

template <class Plan, class... Ds>
struct collect;
template <class... Ps>
struct collect<peft::plan<Ps...>> {
  using type = peft::plan<Ps...>;
};
template <class... Ps, class D, class... Ds>
struct collect<peft::plan<Ps...>, D, Ds...> {
  template <class P>
  static constexpr bool seen = (std::is_same_v<P, Ps> || ...);
  static auto next() {
    if constexpr (binds_policy<D>) {
      using P = typename D::policy;
      static_assert(peft::check_policy<P>(),
                    "autopeft::space::size_of: the family entry is not a PEFT policy (see peft/concepts.hpp)");
      if constexpr (sizes_policy<D>) static_assert(check_size_option<P>());
      if constexpr (seen<P>) return collect<peft::plan<Ps...>, Ds...>{};
      else return collect<peft::plan<Ps..., P>, Ds...>{};
    } else {
      return collect<peft::plan<Ps...>, Ds...>{};
    }
  }
  using type = typename decltype(next())::type;
};

/// A space with a layers_of binding switches layers off in the plan and in each policy's
/// layers_to_transform; a policy with layer modules but no such setter would count its modules in
/// every layer while the plan builds them in fewer, so it is refused here.
template <class P>
constexpr bool check_layer_list() {
  if constexpr (!std::is_void_v<typename P::layer_module> &&
                !requires(P& p, std::vector<std::int64_t> layers) { p.layers_to_transform(layers); })
    static_assert(peft::dependent_false<P>,
                  "autopeft::space::layers_of: a policy of the family has layer modules but no "
                  "`layers_to_transform(std::vector<std::int64_t>)` setter, so its closed-form count cannot follow the "
                  "space's layer switch: name its layer list layers_to_transform (e.g. TORCH_ARG(std::vector<std::int64_t>, "
                  "layers_to_transform)) and count only those layers, or leave layers_of out of the space");
  return true;
}
template <class Plan>
struct layer_lists_checked;
template <class... Ps>
struct layer_lists_checked<peft::plan<Ps...>> {
  static constexpr bool value = (check_layer_list<Ps>() && ...);
};

template <class Tuple>
struct family_of;
template <class... Ds>
struct family_of<std::tuple<Ds...>> {
  using type = typename collect<peft::plan<>, Ds...>::type;
  static_assert(!(sets_layers<Ds> || ...) || layer_lists_checked<type>::value);
};

}  // namespace detail

/// The plan type of a space's family.
template <class Space>
using family_t = typename detail::family_of<typename Space::dimensions>::type;

/// The plan of configuration c: sizes from size_of bindings (0 switches the policy off), other
/// options from option_of bindings, per-site ranks from rank_pattern_of bindings (keyed by the
/// site's full module path, "encoder.layer.3.attention.self.query"), the per-layer switch from a layers_of binding (also applied as every policy's
/// layers_to_transform where it has one). Other options come from `base`.
template <class Space>
family_t<Space> to_plan(const Space&, const configuration& c, family_t<Space> base = {}) {
  if (auto why = Space::check(c); !why.empty()) throw error("to_plan: invalid configuration: " + why);
  Space::for_each_dim([&]<std::size_t I, class D>() {
    if (!Space::active(I, c)) return;
    const auto x = std::span<const double>(c.x).subspan(Space::offsets[I], D::components);
    if constexpr (detail::sizes_policy<D>) {
      using P = typename D::policy;
      const auto v = static_cast<std::int64_t>(D::value(x));
      if (v == 0) {
        base.template enable<P>(false);
      } else {
        base.template enable<P>(true);
        if constexpr (peft::sized_policy<P>) P::size_option::set(base.template get<P>(), v);
      }
    } else if constexpr (detail::sets_option<D>) {
      D::option::set(base.template get<typename D::policy>(), D::value(x));
    } else if constexpr (detail::sets_rank_pattern<D>) {
      auto& p = base.template get<typename D::policy>();
      const auto ranks = D::value(x);
      const peft::targets target{std::string(D::target)};
      for (std::size_t l = 0; l < ranks.size(); ++l)
        for (auto s : model::linear_sites) {
          const auto path = peft::site_path(static_cast<std::int64_t>(l), s);
          if (target.matches(path)) p.rank_pattern()[path] = static_cast<std::int64_t>(ranks[l]);
        }
    } else if constexpr (detail::sets_layers<D>) {
      const auto mask = D::value(x);
      base.layers_on(mask);
      std::vector<std::int64_t> layers;
      for (std::size_t l = 0; l < mask.size(); ++l)
        if (mask[l]) layers.push_back(static_cast<std::int64_t>(l));
      std::apply([&](auto&... p) {
        ([&] {
          if constexpr (requires { p.layers_to_transform(layers); }) p.layers_to_transform(layers);
        }(), ...);
      }, base.policies);
    }
  });
  return base;
}

}  // namespace autopeft::space
