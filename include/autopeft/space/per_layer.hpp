#pragma once
// One copy of a single-component dimension per layer, under the dimension's name: e.g. a LoRA
// rank per layer, per_layer<ordinal<"query_r", 0, 1, 2, 4, 8, 16>, 12>. Layers components,
// Dim::cardinality^Layers points (a product overflowing 64 bits is a compile error). Encoding,
// decoding and neighbours are Dim's, component by component (a neighbour changes one layer).
// JSON: an array of Layers values in Dim's JSON.
#include <autopeft/space/detail.hpp>

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

namespace autopeft::space {

template <class Dim, std::size_t Layers>
struct per_layer {
  static_assert(Layers > 0, "autopeft::space::per_layer: the number of layers must be positive");
  static_assert(Dim::components == 1, "autopeft::space::per_layer: the per-layer dimension must have one component");
  using dimension_type = Dim;
  static constexpr std::string_view name = Dim::name;
  static constexpr std::size_t components = Layers, levels = Dim::levels;
  static constexpr bool is_categorical = requires { Dim::is_categorical; };
  static constexpr std::uint64_t cardinality = [] {
    if (Dim::cardinality == 0) return std::uint64_t{0};
    std::uint64_t n = 1;
    for (std::size_t l = 0; l < Layers; ++l) {
      if (n > std::numeric_limits<std::uint64_t>::max() / Dim::cardinality)
        throw "autopeft::space::per_layer: the cardinality overflows 64 bits";
      n *= Dim::cardinality;
    }
    return n;
  }();
  static double encode(double v) { return Dim::encode(v); }
  static double decode(double u) { return Dim::decode(u); }
  static std::vector<double> neighbours(double v) { return Dim::neighbours(v); }
  static nlohmann::json to_json(std::span<const double> x) {
    auto a = nlohmann::json::array();
    for (std::size_t l = 0; l < Layers; ++l) a.push_back(Dim::to_json(x.subspan(l, 1)));
    return a;
  }
  static void from_json(const nlohmann::json& j, std::span<double> x, const std::string& where) {
    if (!j.is_array() || j.size() != Layers)
      detail::bad_value(where, name, "must be an array of " + std::to_string(Layers) + " values, got " + j.dump());
    for (std::size_t l = 0; l < Layers; ++l)
      Dim::from_json(j[l], x.subspan(l, 1), where + " (layer " + std::to_string(l) + ")");
  }
  static auto value(std::span<const double> x) {
    std::vector<decltype(Dim::value(x))> v;
    for (std::size_t l = 0; l < Layers; ++l) v.push_back(Dim::value(x.subspan(l, 1)));
    return v;
  }
};

}  // namespace autopeft::space
