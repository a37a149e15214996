#pragma once
// An integer dimension over [Lo, Hi]. Native: the integer; encoded as (v - Lo) / (Hi - Lo);
// neighbours are v ± 1. JSON: the integer.
#include <autopeft/space/detail.hpp>
#include <autopeft/space/fixed_string.hpp>

#include <cstdint>
#include <span>
#include <vector>

namespace autopeft::space {

template <fixed_string Name, std::int64_t Lo, std::int64_t Hi>
struct integer_range {
  static_assert(Lo <= Hi, "autopeft::space::integer_range: the range is empty (Lo > Hi)");
  static constexpr std::string_view name = Name.view();
  static constexpr std::size_t components = 1, levels = static_cast<std::size_t>(Hi - Lo + 1);
  static constexpr std::uint64_t cardinality = static_cast<std::uint64_t>(Hi - Lo + 1);
  static double encode(double v) { return Hi == Lo ? 0.0 : (v - Lo) / static_cast<double>(Hi - Lo); }
  static double decode(double u) { return static_cast<double>(Lo) + detail::level_decode(u, levels); }
  static std::vector<double> neighbours(double v) {
    std::vector<double> n;
    if (v > Lo) n.push_back(v - 1);
    if (v < Hi) n.push_back(v + 1);
    return n;
  }
  static nlohmann::json to_json(std::span<const double> x) { return static_cast<std::int64_t>(x[0]); }
  static void from_json(const nlohmann::json& j, std::span<double> x, const std::string& where) {
    if (!j.is_number_integer()) detail::bad_value(where, name, "must be an integer, got " + j.dump());
    const auto v = j.get<std::int64_t>();
    if (v < Lo || v > Hi)
      detail::bad_value(where, name, "is " + std::to_string(v) + ", outside [" + std::to_string(Lo) + ", " +
                                         std::to_string(Hi) + "]");
    x[0] = static_cast<double>(v);
  }
  static std::int64_t value(std::span<const double> x) { return static_cast<std::int64_t>(x[0]); }
};

}  // namespace autopeft::space
