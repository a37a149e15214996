#pragma once
// Typed access to the members of one JSON Lines row, with row errors that name the key.
#include <autopeft/data/detail/fields.hpp>
#include <autopeft/detail/parse_json.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace autopeft::data::detail {

struct json_row {
  nlohmann::json value;
  const std::filesystem::path* file;
  std::size_t line;

  [[noreturn]] void fail(const std::string& what) const { bad_row(*file, line, what); }

  /// The member `key` of `object` (the row itself by default), or nullptr when absent. `name`
  /// is how messages call it ("target.span1_text").
  [[nodiscard]] const nlohmann::json* find(const std::string& key,
                                           const nlohmann::json* object = nullptr) const {
    const auto& o = object != nullptr ? *object : value;
    const auto it = o.find(key);
    return it == o.end() ? nullptr : &*it;
  }

  [[nodiscard]] const nlohmann::json& at(const std::string& key, std::string_view name,
                                         const nlohmann::json* object = nullptr) const {
    if (const auto* v = find(key, object)) return *v;
    fail("missing key '" + std::string(name) + "'");
  }

  [[nodiscard]] std::string string_at(const std::string& key, std::string_view name,
                                      const nlohmann::json* object = nullptr) const {
    const auto& v = at(key, name, object);
    if (!v.is_string()) {
      fail("key '" + std::string(name) + "' holds a " + v.type_name() + ", expected a string");
    }
    return v.get<std::string>();
  }

  [[nodiscard]] const nlohmann::json& object_at(const std::string& key,
                                                std::string_view name) const {
    const auto& v = at(key, name);
    if (!v.is_object()) {
      fail("key '" + std::string(name) + "' holds a " + v.type_name() + ", expected an object");
    }
    return v;
  }

  /// An id given as a string or an integer; nullopt when the key is absent and not `required`.
  [[nodiscard]] std::optional<std::string> id_at(const std::string& key, bool required) const {
    const auto* v = required ? &at(key, key) : find(key);
    if (v == nullptr) return std::nullopt;
    if (v->is_string()) return v->get<std::string>();
    if (v->is_number_integer()) return std::to_string(v->get<std::int64_t>());
    if (v->is_number_unsigned()) return std::to_string(v->get<std::uint64_t>());
    fail("key '" + std::string(key) + "' holds a " + v->type_name() +
         ", expected a string or an integer id");
  }
};

/// Parses one line as a JSON object.
inline json_row parse_json_row(const std::string& line, const std::filesystem::path& file,
                               std::size_t at) {
  json_row row{{}, &file, at};
  try {
    row.value = autopeft::detail::parse_json(line);
  } catch (const nlohmann::json::parse_error& e) {
    // nlohmann's text reads "[json.exception.parse_error.101] parse error at line 1, column 31:
    // syntax error ..."; keep what follows the column, which the message gives itself.
    std::string why = e.what();
    if (const auto column = why.find(", column "); column != std::string::npos) {
      if (const auto colon = why.find(": ", column); colon != std::string::npos) {
        why.erase(0, colon + 2);
      }
    }
    row.fail("invalid JSON at column " + std::to_string(e.byte) + ": " + why +
             "; each line must hold one JSON object");
  } catch (const nlohmann::json::exception& e) {  // out_of_range: a number such as 1e999
    row.fail(std::string("invalid JSON: ") + e.what() + "; each line must hold one JSON object");
  }
  if (!row.value.is_object()) {
    row.fail(std::string("the line holds a JSON ") + row.value.type_name() +
             ", expected an object {...}");
  }
  return row;
}

}  // namespace autopeft::data::detail
