#pragma once
// A categorical dimension over named choices. Native: the choice index. Encoded as the index
// scaled to [0, 1] for Hamming-type kernels (space::encode_one_hot gives a one-hot encoding);
// neighbours are all other choices. JSON: the choice's name.
#include <autopeft/space/detail.hpp>
#include <autopeft/space/fixed_string.hpp>

#include <array>
#include <span>
#include <string_view>
#include <vector>

namespace autopeft::space {

template <fixed_string Name, fixed_string... Choices>
struct categorical {
  static_assert(sizeof...(Choices) > 0, "autopeft::space::categorical: the choice list is empty; give at least one choice");
  static constexpr std::array<std::string_view, sizeof...(Choices)> choices{Choices.view()...};
  static constexpr std::string_view name = Name.view();
  static constexpr std::size_t components = 1, levels = sizeof...(Choices);
  static constexpr std::uint64_t cardinality = sizeof...(Choices);
  static constexpr bool is_categorical = true;
  static double encode(double i) { return detail::level_encode(i, levels); }
  static double decode(double u) { return detail::level_decode(u, levels); }
  static std::vector<double> neighbours(double i) {
    std::vector<double> n;
    for (std::size_t c = 0; c < levels; ++c)
      if (static_cast<double>(c) != i) n.push_back(static_cast<double>(c));
    return n;
  }
  static nlohmann::json to_json(std::span<const double> x) { return std::string(choices[static_cast<std::size_t>(x[0])]); }
  static void from_json(const nlohmann::json& j, std::span<double> x, const std::string& where) {
    if (!j.is_string()) detail::bad_value(where, name, "must be a string, got " + j.dump());
    const auto v = j.get<std::string>();
    for (std::size_t i = 0; i < levels; ++i)
      if (choices[i] == v) {
        x[0] = static_cast<double>(i);
        return;
      }
    std::string allowed;
    for (auto a : choices) allowed += (allowed.empty() ? "'" : ", '") + std::string(a) + "'";
    detail::bad_value(where, name, "has no choice '" + v + "'; choices: " + allowed);
  }
  static std::string_view value(std::span<const double> x) { return choices[static_cast<std::size_t>(x[0])]; }
};

}  // namespace autopeft::space
