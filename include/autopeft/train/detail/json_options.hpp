#pragma once
// Reads an options object from JSON field by field: each field keeps its default when absent,
// a value of the wrong type or an unknown field (a typo) is an error that names the field, where
// it was found and the fields that exist.
#include <autopeft/error.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <set>
#include <string>
#include <type_traits>

namespace autopeft::train::detail {

class json_options {
 public:
  /// `where` prefixes messages: "recipe.json: pretraining".
  json_options(const nlohmann::json& j, std::string where) : j_(j), where_(std::move(where)) {
    if (!j_.is_object()) throw error(where_ + ": expected a JSON object, got " + j_.type_name());
  }

  template <class T>
  json_options& get(const char* key, T& out) {
    known_.insert(key);
    const auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) return *this;
    const auto& v = *it;
    auto wrong = [&](const char* expected) {
      throw error(where_ + ": field '" + key + "' holds " + v.dump() + " but must be " + expected);
    };
    if constexpr (std::is_same_v<T, bool>) {
      if (!v.is_boolean()) wrong("true or false");
      out = v.get<bool>();
    } else if constexpr (std::is_integral_v<T>) {
      if (!v.is_number_integer()) wrong("an integer");
      if constexpr (std::is_unsigned_v<T>) {
        if (v.get<std::int64_t>() < 0 && !v.is_number_unsigned()) wrong("a non-negative integer");
      }
      out = v.get<T>();
    } else if constexpr (std::is_floating_point_v<T>) {
      if (!v.is_number()) wrong("a number");
      out = v.get<T>();
    } else if constexpr (std::is_same_v<T, std::string>) {
      if (!v.is_string()) wrong("a string");
      out = v.get<std::string>();
    } else {
      out = v.get<T>();
    }
    return *this;
  }

  /// Throws if the object holds a field no get() asked for.
  void finish() const {
    for (auto it = j_.begin(); it != j_.end(); ++it)
      if (!known_.count(it.key())) {
        std::string list;
        for (const auto& k : known_) list += (list.empty() ? "" : ", ") + k;
        throw error(where_ + ": unknown field '" + it.key() + "'; the fields are: " + list);
      }
  }

 private:
  const nlohmann::json& j_;
  std::string where_;
  std::set<std::string> known_;
};

}  // namespace autopeft::train::detail
