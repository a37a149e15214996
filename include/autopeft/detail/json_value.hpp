#pragma once
// A JSON value as a C++ value, without nlohmann's silent conversions: nlohmann's get<int>()
// truncates 3.7 to 3, wraps 2^63 and casts 1e300 to an integer, which is undefined behaviour.
// Config readers use json_value<T>() so that a hand-edited config gets an error, not a guess.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

namespace autopeft::detail {

template <class T>
struct is_std_vector : std::false_type {};
template <class T, class A>
struct is_std_vector<std::vector<T, A>> : std::true_type {};

/// `v` as T. An integral T takes only a JSON integer in T's range, bool only true or false, a
/// floating T any number, std::string only a string, std::vector<U> only an array of what U
/// takes; other types are v.get<T>(). Throws nlohmann::json::type_error otherwise, as get<T>()
/// does for a value of the wrong type, so callers keep one catch clause.
template <class T>
T json_value(const nlohmann::json& v) {
  auto wrong = [&](const std::string& expected) {
    throw nlohmann::json::type_error::create(302, "expected " + expected + ", got " + v.dump(), &v);
  };
  if constexpr (std::is_same_v<T, bool>) {
    if (!v.is_boolean()) wrong("true or false");
    return v.get<bool>();
  } else if constexpr (std::is_integral_v<T>) {
    using limits = std::numeric_limits<T>;
    if (!v.is_number_integer()) wrong("an integer");
    if (v.is_number_unsigned()) {
      if (v.get<std::uint64_t>() > static_cast<std::uint64_t>(limits::max())) wrong("an integer that fits");
    } else {
      const auto i = v.get<std::int64_t>();
      if constexpr (std::is_unsigned_v<T>) {
        if (i < 0) wrong("a non-negative integer");
        if (static_cast<std::uint64_t>(i) > static_cast<std::uint64_t>(limits::max())) wrong("an integer that fits");
      } else {
        if (i < static_cast<std::int64_t>(limits::min()) || i > static_cast<std::int64_t>(limits::max()))
          wrong("an integer that fits");
      }
    }
    return v.get<T>();
  } else if constexpr (std::is_floating_point_v<T>) {
    if (!v.is_number()) wrong("a number");
    return v.get<T>();
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!v.is_string()) wrong("a string");
    return v.get<std::string>();
  } else if constexpr (is_std_vector<T>::value) {
    if (!v.is_array()) wrong("an array");
    T out;
    out.reserve(v.size());
    for (const auto& x : v) out.push_back(json_value<typename T::value_type>(x));
    return out;
  } else {
    return v.get<T>();
  }
}

}  // namespace autopeft::detail
