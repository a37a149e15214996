#pragma once
// The search-space extension points.
//
// A *dimension* is a type with static members:
//   static constexpr std::string_view name;
//   static constexpr std::size_t components;      // scalar slots in a configuration (a mask: L)
//   static constexpr std::uint64_t cardinality;   // points of the dimension; 0: infinite
//   static constexpr std::size_t levels;          // levels of one component; 0: continuous
//   static double encode(double native);          // native component -> [0, 1]
//   static double decode(double u);               // [0, 1] -> native component
//   static std::vector<double> neighbours(double native);  // one-component moves
//   static nlohmann::json to_json(std::span<const double> native);
//   static void from_json(const nlohmann::json&, std::span<double> native, const std::string& where);
// A model implementation, a three-level "precision" choice (12 lines):
//
//   struct precision {
//     static constexpr std::string_view name = "precision";
//     static constexpr std::size_t components = 1, levels = 3;
//     static constexpr std::uint64_t cardinality = 3;
//     static double encode(double i) { return i / 2; }
//     static double decode(double u) { return std::round(u * 2); }
//     static std::vector<double> neighbours(double i) { return i == 1 ? std::vector{0., 2.} : std::vector{1.}; }
//     static nlohmann::json to_json(std::span<const double> x) { return std::array{"fp32", "bf16", "fp16"}[int(x[0])]; }
//     static void from_json(const nlohmann::json& j, std::span<double> x, const std::string&) { ... }
//   };
//
// A *constraint* is a type with `static constexpr std::array<std::string_view, K> names` (the
// dimensions it reads, checked at compile time) and
// `template <class Space> static bool satisfied(const Space&, const configuration&)`.
#include <autopeft/space/configuration.hpp>

#include <nlohmann/json.hpp>

#include <concepts>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace autopeft::space {

template <class D>
concept dimension = requires(double v, std::span<const double> cx, std::span<double> x, const nlohmann::json& j,
                             const std::string& w) {
  { D::name } -> std::convertible_to<std::string_view>;
  { D::components } -> std::convertible_to<std::size_t>;
  { D::cardinality } -> std::convertible_to<std::uint64_t>;
  { D::levels } -> std::convertible_to<std::size_t>;
  { D::encode(v) } -> std::convertible_to<double>;
  { D::decode(v) } -> std::convertible_to<double>;
  { D::neighbours(v) } -> std::convertible_to<std::vector<double>>;
  { D::to_json(cx) } -> std::convertible_to<nlohmann::json>;
  D::from_json(j, x, w);
};

template <class C>
concept constraint = requires {
  C::names;
  { C::names.size() } -> std::convertible_to<std::size_t>;
};

}  // namespace autopeft::space
