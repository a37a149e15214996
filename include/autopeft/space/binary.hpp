#pragma once
// A binary dimension: off (0) or on (1). JSON: true / false.
#include <autopeft/space/detail.hpp>
#include <autopeft/space/fixed_string.hpp>

#include <span>
#include <vector>

namespace autopeft::space {

template <fixed_string Name>
struct binary {
  static constexpr std::string_view name = Name.view();
  static constexpr std::size_t components = 1, levels = 2;
  static constexpr std::uint64_t cardinality = 2;
  static double encode(double v) { return v; }
  static double decode(double u) { return u >= 0.5 ? 1.0 : 0.0; }
  static std::vector<double> neighbours(double v) { return {1.0 - v}; }
  static nlohmann::json to_json(std::span<const double> x) { return x[0] != 0; }
  static void from_json(const nlohmann::json& j, std::span<double> x, const std::string& where) {
    if (!j.is_boolean()) detail::bad_value(where, name, "must be true or false, got " + j.dump());
    x[0] = j.get<bool>() ? 1.0 : 0.0;
  }
  static bool value(std::span<const double> x) { return x[0] != 0; }
};

}  // namespace autopeft::space
