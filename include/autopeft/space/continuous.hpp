#pragma once
// A real dimension over [Lo, Hi], linear or logarithmic (Log: encoded as
// (log v - log Lo) / (log Hi - log Lo)). Infinite: no cardinality, not enumerable; local search
// moves it by ±Step in the encoded scale. JSON: the number.
#include <autopeft/space/detail.hpp>
#include <autopeft/space/fixed_string.hpp>

#include <cmath>
#include <span>
#include <vector>

namespace autopeft::space {

template <fixed_string Name, double Lo, double Hi, bool Log = false, double Step = 0.05>
struct continuous {
  static_assert(Lo < Hi, "autopeft::space::continuous: the interval is empty (Lo >= Hi)");
  static_assert(!Log || Lo > 0, "autopeft::space::continuous: a log-scaled interval needs Lo > 0");
  static constexpr std::string_view name = Name.view();
  static constexpr std::size_t components = 1, levels = 0;
  static constexpr std::uint64_t cardinality = 0;
  static double encode(double v) {
    return Log ? (std::log(v) - std::log(Lo)) / (std::log(Hi) - std::log(Lo)) : (v - Lo) / (Hi - Lo);
  }
  static double decode(double u) {
    u = std::clamp(u, 0.0, 1.0);
    return Log ? std::exp(std::log(Lo) + u * (std::log(Hi) - std::log(Lo))) : Lo + u * (Hi - Lo);
  }
  static std::vector<double> neighbours(double v) {
    std::vector<double> n;
    const double u = encode(v);
    if (u > 0) n.push_back(decode(std::max(0.0, u - Step)));
    if (u < 1) n.push_back(decode(std::min(1.0, u + Step)));
    return n;
  }
  static nlohmann::json to_json(std::span<const double> x) { return x[0]; }
  static void from_json(const nlohmann::json& j, std::span<double> x, const std::string& where) {
    if (!j.is_number()) detail::bad_value(where, name, "must be a number, got " + j.dump());
    const auto v = j.get<double>();
    if (!(v >= Lo && v <= Hi))
      detail::bad_value(where, name, "is " + j.dump() + ", outside [" + nlohmann::json(Lo).dump() + ", " +
                                         nlohmann::json(Hi).dump() + "]");
    x[0] = v;
  }
  static double value(std::span<const double> x) { return x[0]; }
};

}  // namespace autopeft::space
