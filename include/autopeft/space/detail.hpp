#pragma once
#include <autopeft/error.hpp>

#include <nlohmann/json.hpp>

#include <cmath>
#include <string>
#include <string_view>

namespace autopeft::space::detail {

[[noreturn]] inline void bad_value(const std::string& where, std::string_view dim, const std::string& what) {
  throw error(where + ": dimension '" + std::string(dim) + "' " + what);
}

inline double level_encode(double i, std::size_t levels) {
  return levels <= 1 ? 0.0 : i / static_cast<double>(levels - 1);
}
inline double level_decode(double u, std::size_t levels) {
  if (levels <= 1) return 0.0;
  const double i = std::round(std::clamp(u, 0.0, 1.0) * static_cast<double>(levels - 1));
  return i;
}

}  // namespace autopeft::space::detail
