#pragma once
// One binary per layer (AutoPEFT's per-layer switch): L components, 2^L points.
// JSON: an array of L booleans. Neighbours flip one layer.
#include <autopeft/space/detail.hpp>
#include <autopeft/space/fixed_string.hpp>

#include <span>
#include <vector>

namespace autopeft::space {

template <fixed_string Name, std::size_t Layers>
struct layer_mask {
  static_assert(Layers > 0 && Layers < 64, "autopeft::space::layer_mask: the number of layers must be in [1, 63]");
  static constexpr std::string_view name = Name.view();
  static constexpr std::size_t components = Layers, levels = 2;
  static constexpr std::uint64_t cardinality = std::uint64_t{1} << Layers;
  static double encode(double v) { return v; }
  static double decode(double u) { return u >= 0.5 ? 1.0 : 0.0; }
  static std::vector<double> neighbours(double v) { return {1.0 - v}; }
  static nlohmann::json to_json(std::span<const double> x) {
    auto a = nlohmann::json::array();
    for (auto v : x) a.push_back(v != 0);
    return a;
  }
  static void from_json(const nlohmann::json& j, std::span<double> x, const std::string& where) {
    if (!j.is_array() || j.size() != Layers)
      detail::bad_value(where, name, "must be an array of " + std::to_string(Layers) + " booleans, got " + j.dump());
    for (std::size_t i = 0; i < Layers; ++i) {
      if (!j[i].is_boolean()) detail::bad_value(where, name, "entry " + std::to_string(i) + " must be a boolean");
      x[i] = j[i].template get<bool>() ? 1.0 : 0.0;
    }
  }
  static std::vector<bool> value(std::span<const double> x) {
    std::vector<bool> v;
    for (auto c : x) v.push_back(c != 0);
    return v;
  }
};

}  // namespace autopeft::space
