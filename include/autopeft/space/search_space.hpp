#pragma once
// search_space<Entries...>: a product of dimensions with constraints, checked at compile time.
//
//   using my_space = space::search_space<
//       space::size_of<peft::lora, space::ordinal<"r", 0, 2, 4, 8, 16>>,
//       space::categorical<"targets", "qv", "qkv", "all">,
//       space::not_all_zero<"r">>;
//   static_assert(my_space::cardinality == 15);
//
// Compile-time checks, each with one message: a duplicate dimension name, an empty value list
// (in the dimension itself), a constraint or conditional naming a dimension that does not
// exist (or, for a conditional's parent, that comes later). Runtime operations: validity,
// uniform sampling, enumeration (finite spaces), one-dimension neighbours, encoding to [0, 1]^d
// and back, JSON round trip and a stable hash.
#include <autopeft/error.hpp>
#include <autopeft/space/concepts.hpp>
#include <autopeft/space/configuration.hpp>
#include <autopeft/space/detail.hpp>
#include <autopeft/space/fixed_string.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace autopeft::space {

namespace detail {

template <class T>
concept is_conditional = requires { T::is_conditional; };

template <class E>
constexpr bool is_dimension_entry() {
  return dimension<E>;
}

template <class... Ts>
struct type_list {};

template <template <class> class Pred, class List, class... Ts>
struct filter;
template <template <class> class Pred, class... Out>
struct filter<Pred, type_list<Out...>> {
  using type = std::tuple<Out...>;
};
template <template <class> class Pred, class... Out, class T, class... Ts>
struct filter<Pred, type_list<Out...>, T, Ts...> {
  using type = std::conditional_t<Pred<T>::value, typename filter<Pred, type_list<Out..., T>, Ts...>::type,
                                  typename filter<Pred, type_list<Out...>, Ts...>::type>;
};

template <class T>
struct is_dim : std::bool_constant<dimension<T>> {};
template <class T>
struct is_constraint : std::bool_constant<!dimension<T> && constraint<T>> {};

template <class Tuple>
struct names_of;
template <class... Ds>
struct names_of<std::tuple<Ds...>> {
  static constexpr std::array<std::string_view, sizeof...(Ds)> value{Ds::name...};
};

template <std::size_t N>
constexpr bool has_duplicates(const std::array<std::string_view, N>& a) {
  for (std::size_t i = 0; i < N; ++i)
    for (std::size_t j = i + 1; j < N; ++j)
      if (a[i] == a[j]) return true;
  return false;
}

template <std::size_t N>
constexpr std::size_t find(const std::array<std::string_view, N>& a, std::string_view n) {
  for (std::size_t i = 0; i < N; ++i)
    if (a[i] == n) return i;
  return N;
}

template <class Tuple>
struct all_entries_known : std::true_type {};

/// The check that dimension names are unique, as a type of its own: a static_assert failing in
/// search_space's own body makes clang drop the class's members, so every later use of the space
/// would add a "no member named ..." error; failing here leaves one message.
template <bool Unique>
struct unique_dimension_names {
  static_assert(Unique, "autopeft::space::search_space: two dimensions share a name; dimension names must be unique");
};

}  // namespace detail

template <class... Entries>
class search_space {
 public:
  using dimensions = typename detail::filter<detail::is_dim, detail::type_list<>, Entries...>::type;
  using constraints = typename detail::filter<detail::is_constraint, detail::type_list<>, Entries...>::type;
  static constexpr std::size_t num_dims = std::tuple_size_v<dimensions>;
  static constexpr auto names = detail::names_of<dimensions>::value;

 private:
  static_assert(((dimension<Entries> || constraint<Entries>) && ...),
                "autopeft::space::search_space: every entry must be a dimension or a constraint "
                "(see include/autopeft/space/concepts.hpp)");
  static constexpr detail::unique_dimension_names<!detail::has_duplicates(names)> unique_names_checked_{};

  template <class C>
  static constexpr bool names_known() {
    for (auto n : C::names)
      if (detail::find(names, n) == num_dims) return false;
    return true;
  }
  static constexpr bool constraints_name_dimensions() {
    return std::apply([](auto... c) { return (names_known<decltype(c)>() && ...); }, constraints{});
  }
  static_assert(constraints_name_dimensions(),
                "autopeft::space::search_space: a constraint names a dimension that is not in the space");

  template <std::size_t I>
  static constexpr bool parent_ok() {
    using D = std::tuple_element_t<I, dimensions>;
    if constexpr (detail::is_conditional<D>) return detail::find(names, D::parent) < I;
    else return true;
  }
  static constexpr bool parents_ok() {
    return []<std::size_t... I>(std::index_sequence<I...>) { return (parent_ok<I>() && ...); }(
        std::make_index_sequence<num_dims>{});
  }
  static_assert(parents_ok(),
                "autopeft::space::conditional: the parent must be a dimension declared before the conditional one");

  static constexpr std::array<std::size_t, num_dims + 1> make_offsets() {
    std::array<std::size_t, num_dims + 1> o{};
    std::size_t i = 0;
    std::apply([&](auto... d) { ((o[i + 1] = o[i] + decltype(d)::components, ++i), ...); }, dimensions{});
    return o;
  }

 public:
  /// Component offsets: dimension i occupies components [offsets[i], offsets[i + 1]).
  static constexpr auto offsets = make_offsets();
  static constexpr std::size_t num_components = offsets[num_dims];
  static constexpr bool finite = std::apply([](auto... d) { return ((decltype(d)::cardinality > 0) && ...); },
                                            dimensions{});
  /// Number of points, ignoring constraints; 0 when a dimension is continuous. Computed by the
  /// compiler (a product overflowing 64 bits is a compile error).
  static constexpr std::uint64_t cardinality = [] {
    if (!finite) return std::uint64_t{0};
    std::uint64_t n = 1;
    std::apply([&](auto... d) {
      ((n = (decltype(d)::cardinality != 0 && n > std::numeric_limits<std::uint64_t>::max() / decltype(d)::cardinality)
                ? throw "autopeft::space::search_space: the cardinality overflows 64 bits"
                : n * decltype(d)::cardinality),
       ...);
    }, dimensions{});
    return n;
  }();

  template <fixed_string Name>
  static constexpr std::size_t index_of() {
    constexpr auto i = detail::find(names, Name.view());
    static_assert(i < num_dims, "autopeft::space::search_space: no dimension has this name");
    return i;
  }

  /// Whether the space has a dimension named `name` (e.g. peft_evaluator's `if constexpr
  /// (S::has("lr"))`).
  static constexpr bool has(std::string_view name) { return detail::find(names, name) < num_dims; }

  /// (offset, count) of a dimension's components; throws for an unknown name.
  static std::pair<std::size_t, std::size_t> components_of(std::string_view name) {
    const auto i = detail::find(names, name);
    if (i == num_dims) throw error("search space has no dimension '" + std::string(name) + "'");
    return {offsets[i], offsets[i + 1] - offsets[i]};
  }

  /// The typed value of a dimension (an ordinal's value, a mask's vector<bool>, ...).
  template <fixed_string Name>
  static auto get(const configuration& c) {
    constexpr auto i = index_of<Name>();
    using D = std::tuple_element_t<i, dimensions>;
    return D::value(std::span<const double>(c.x).subspan(offsets[i], D::components));
  }

  /// Whether dimension i is active in c (only conditional dimensions can be inactive).
  static bool active(std::size_t i, const configuration& c) {
    bool a = true;
    for_each_dim([&]<std::size_t I, class D>() {
      if constexpr (detail::is_conditional<D>) {
        if (I == i) {
          constexpr auto p = detail::find(names, D::parent);
          a = active(p, c) && D::active_for(c.x[offsets[p]]);
        }
      }
    });
    return a;
  }

  /// Sets inactive dimensions to level 0, the canonical form used by JSON, hashing and equality.
  static configuration canonical(configuration c) {
    for (std::size_t i = 0; i < num_dims; ++i)
      if (!active(i, c))
        for (std::size_t k = offsets[i]; k < offsets[i + 1]; ++k) c.x[k] = lowest(i);
    return c;
  }

  /// In range, canonical, and every constraint satisfied.
  static bool valid(const configuration& c) { return check(c).empty(); }

  /// Why c is invalid ("" when valid).
  static std::string check(const configuration& c) {
    if (c.x.size() != num_components)
      return "has " + std::to_string(c.x.size()) + " components, the space " + std::to_string(num_components);
    std::string why;
    for_each_dim([&]<std::size_t I, class D>() {
      if (!why.empty()) return;
      for (std::size_t k = offsets[I]; k < offsets[I + 1]; ++k) {
        const double v = c.x[k];
        if (!in_range<D>(v)) why = "dimension '" + std::string(D::name) + "' is out of range";
      }
    });
    if (!why.empty()) return why;
    if (canonical(c) != c) return "an inactive conditional dimension is not at its level 0";
    std::apply([&](auto... k) {
      ((why = why.empty() && !decltype(k)::satisfied(search_space{}, c) ? "violates a constraint on " + list(decltype(k)::names) : why), ...);
    }, constraints{});
    return why;
  }

  /// A uniformly random valid configuration (rejection sampling over the product).
  template <class Rng>
  static configuration sample(Rng& rng, int max_tries = 100000) {
    std::uniform_real_distribution<double> u(0.0, 1.0);
    for (int t = 0; t < max_tries; ++t) {
      std::vector<double> e(num_components);
      for (auto& v : e) v = u(rng);
      auto c = canonical(from_unit(e));
      if (valid(c)) return c;
    }
    throw error("search space: no valid configuration found in " + std::to_string(max_tries) +
                " random draws; are the constraints satisfiable?");
  }

  /// Encodes to [0, 1]^num_components (ordinal: normalised rank; binary: 0/1; categorical:
  /// index / (k - 1); integer and real: normalised).
  static std::vector<double> encode(const configuration& c) {
    std::vector<double> u(num_components);
    for_each_dim([&]<std::size_t I, class D>() {
      for (std::size_t k = offsets[I]; k < offsets[I + 1]; ++k) u[k] = D::encode(c.x[k]);
    });
    return u;
  }
  /// The nearest configuration of an encoded point (rounded to levels, clamped to [0, 1]).
  static configuration decode(std::span<const double> u) {
    if (u.size() != num_components) throw error("search space: decode needs " + std::to_string(num_components) + " values");
    configuration c{std::vector<double>(num_components)};
    for_each_dim([&]<std::size_t I, class D>() {
      for (std::size_t k = offsets[I]; k < offsets[I + 1]; ++k) c.x[k] = D::decode(u[k]);
    });
    return c;
  }

  /// The configuration of a point of [0, 1)^num_components in which every level of a discrete
  /// component takes an equal share of [0, 1) (level floor(u · k)), so uniform or
  /// low-discrepancy points give each level equally often; continuous components are decoded.
  /// Unlike decode, which rounds an *encoding* to its nearest level (the end levels own half a
  /// share), this is the map for sampling.
  static configuration from_unit(std::span<const double> u) {
    if (u.size() != num_components) throw error("search space: from_unit needs " + std::to_string(num_components) + " values");
    configuration c{std::vector<double>(num_components)};
    for_each_dim([&]<std::size_t I, class D>() {
      for (std::size_t k = offsets[I]; k < offsets[I + 1]; ++k) {
        if constexpr (D::levels == 0) {
          c.x[k] = D::decode(u[k]);
        } else {
          const double level = std::min(std::floor(std::clamp(u[k], 0.0, 1.0) * static_cast<double>(D::levels)),
                                        static_cast<double>(D::levels - 1));
          c.x[k] = D::decode(detail::level_encode(level, D::levels));
        }
      }
    });
    return c;
  }

  /// Every valid configuration one move away: one component of one active dimension changed.
  static std::vector<configuration> neighbours(const configuration& c) {
    std::vector<configuration> out;
    for_each_dim([&]<std::size_t I, class D>() {
      if (!active(I, c)) return;
      for (std::size_t k = offsets[I]; k < offsets[I + 1]; ++k)
        for (double v : D::neighbours(c.x[k])) {
          auto n = c;
          n.x[k] = v;
          n = canonical(n);
          if (valid(n) && n != c) out.push_back(std::move(n));
        }
    });
    return out;
  }

  /// Calls f(c) for every configuration of a finite space, valid or not, in mixed-radix order.
  template <class F>
  static void enumerate_all(F&& f) {
    static_assert(finite, "autopeft::space::search_space: enumeration needs a finite space (no continuous dimension)");
    std::vector<double> lo(num_components), hi(num_components);
    for_each_dim([&]<std::size_t I, class D>() {
      for (std::size_t k = offsets[I]; k < offsets[I + 1]; ++k) {
        lo[k] = D::decode(0.0);
        hi[k] = D::decode(1.0);
      }
    });
    configuration c{lo};
    while (true) {
      f(c);
      std::size_t k = 0;
      while (k < num_components && c.x[k] == hi[k]) {
        c.x[k] = lo[k];
        ++k;
      }
      if (k == num_components) return;
      c.x[k] += 1;
    }
  }
  /// Calls f(c) for every valid configuration.
  template <class F>
  static void enumerate(F&& f) {
    enumerate_all([&](const configuration& c) {
      if (valid(c)) f(c);
    });
  }
  static std::uint64_t count_valid() {
    std::uint64_t n = 0;
    enumerate([&](const configuration&) { ++n; });
    return n;
  }

  /// {"name": value, ...} with inactive dimensions left out.
  static nlohmann::json to_json(const configuration& c) {
    nlohmann::json j = nlohmann::json::object();
    for_each_dim([&]<std::size_t I, class D>() {
      if (active(I, c)) j[std::string(D::name)] = D::to_json(std::span<const double>(c.x).subspan(offsets[I], D::components));
    });
    return j;
  }
  /// Parses to_json's output; errors name `where`, the dimension and what is allowed.
  static configuration from_json(const nlohmann::json& j, const std::string& where = "configuration") {
    if (!j.is_object()) throw error(where + ": a configuration must be a JSON object");
    for (auto it = j.begin(); it != j.end(); ++it)
      if (detail::find(names, it.key()) == num_dims)
        throw error(where + ": unknown dimension '" + it.key() + "'; the space has " + list(names));
    configuration c{std::vector<double>(num_components)};
    for (std::size_t i = 0; i < num_components; ++i) c.x[i] = 0;
    for_each_dim([&]<std::size_t I, class D>() {
      for (std::size_t k = offsets[I]; k < offsets[I + 1]; ++k) c.x[k] = D::decode(0.0);
      if (!active(I, c)) return;
      const std::string n(D::name);
      if (!j.contains(n)) throw error(where + ": dimension '" + n + "' is missing");
      D::from_json(j[n], std::span<double>(c.x).subspan(offsets[I], D::components), where);
    });
    if (auto why = check(c); !why.empty()) throw error(where + ": invalid configuration: " + why);
    return c;
  }

  /// FNV-1a (64-bit) of the canonical JSON text: equal for equal configurations, stable across
  /// runs, machines and builds.
  static std::uint64_t hash(const configuration& c) {
    const auto text = to_json(canonical(c)).dump();
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char ch : text) {
      h ^= ch;
      h *= 1099511628211ull;
    }
    return h;
  }

  /// Calls f.template operator()<I, D>() for each dimension.
  template <class F>
  static void for_each_dim(F&& f) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (f.template operator()<I, std::tuple_element_t<I, dimensions>>(), ...);
    }(std::make_index_sequence<num_dims>{});
  }

 private:
  static double lowest(std::size_t i) {
    double v = 0;
    for_each_dim([&]<std::size_t I, class D>() {
      if (I == i) v = D::decode(0.0);
    });
    return v;
  }
  template <class D>
  static bool in_range(double v) {
    if constexpr (D::levels == 0) return v >= D::decode(0.0) && v <= D::decode(1.0);
    else return v >= D::decode(0.0) && v <= D::decode(1.0) && v == std::round(v);
  }
  template <std::size_t N>
  static std::string list(const std::array<std::string_view, N>& a) {
    std::string s;
    for (auto n : a) s += (s.empty() ? "'" : ", '") + std::string(n) + "'";
    return s;
  }
};

}  // namespace autopeft::space
