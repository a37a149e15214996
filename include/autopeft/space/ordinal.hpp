#pragma once
// An ordinal dimension over an ordered list of values (e.g. AutoPEFT's bottleneck sizes
// {0, 1, 3, ..., 768}). Native: the level index; encoded as index / (k - 1), the normalised
// rank; neighbours are the adjacent levels. JSON: the value itself.
#include <autopeft/space/detail.hpp>
#include <autopeft/space/fixed_string.hpp>

#include <array>
#include <span>
#include <vector>

namespace autopeft::space {

template <fixed_string Name, auto... Values>
struct ordinal {
  static_assert(sizeof...(Values) > 0, "autopeft::space::ordinal: the value list is empty; give at least one value");
  using value_type = std::common_type_t<decltype(Values)...>;
  static constexpr std::array<value_type, sizeof...(Values)> values{static_cast<value_type>(Values)...};
  static constexpr std::string_view name = Name.view();
  static constexpr std::size_t components = 1, levels = sizeof...(Values);
  static constexpr std::uint64_t cardinality = sizeof...(Values);
  static double encode(double i) { return detail::level_encode(i, levels); }
  static double decode(double u) { return detail::level_decode(u, levels); }
  static std::vector<double> neighbours(double i) {
    std::vector<double> n;
    if (i > 0) n.push_back(i - 1);
    if (i + 1 < static_cast<double>(levels)) n.push_back(i + 1);
    return n;
  }
  static nlohmann::json to_json(std::span<const double> x) { return values[static_cast<std::size_t>(x[0])]; }
  static void from_json(const nlohmann::json& j, std::span<double> x, const std::string& where) {
    if (!j.is_number()) detail::bad_value(where, name, "must be a number, got " + j.dump());
    const auto v = j.get<value_type>();
    for (std::size_t i = 0; i < levels; ++i)
      if (values[i] == v) {
        x[0] = static_cast<double>(i);
        return;
      }
    std::string allowed;
    for (auto a : values) allowed += (allowed.empty() ? "" : ", ") + nlohmann::json(a).dump();
    detail::bad_value(where, name, "has no value " + j.dump() + "; allowed: " + allowed);
  }
  static value_type value(std::span<const double> x) { return values[static_cast<std::size_t>(x[0])]; }
};

}  // namespace autopeft::space
