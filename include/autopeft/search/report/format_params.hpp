#pragma once
// A trial's configuration in one line, the same wherever it is shown: the command line's trial
// lines and its printed front, and the report's tables.
//
// Example:
//   brief_params({{"sa", 3}, {"pa", 0}, {"layers", {true, true, false, true}}, {"_source", 7}})
//     == "sa=3 pa=0 layers=1101"
#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>

namespace autopeft::search {

/// `params` (a JSON object) as "key=value key=value", in the object's order. Keys starting with
/// '_' (bookkeeping such as "_source" or "_seed_index") are left out. An array of booleans (a
/// layer mask) reads as a string of 1 and 0, first element first: [true, true, false] is
/// "110". Strings lose their quotes; numbers and other values are compact JSON. A non-object is
/// shown as compact JSON (null as nothing). Never throws, even on invalid UTF-8: keys and
/// strings are copied as they are (a page escapes them), JSON text replaces bad bytes.
[[nodiscard]] inline std::string brief_params(const nlohmann::json& params) {
  const auto dump = [](const nlohmann::json& v) {
    return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  };
  if (!params.is_object()) return params.is_null() ? std::string{} : dump(params);
  std::string out;
  for (const auto& [key, value] : params.items()) {
    if (!key.empty() && key[0] == '_') continue;
    std::string text;
    if (value.is_array() && !value.empty() &&
        std::all_of(value.begin(), value.end(), [](const nlohmann::json& b) { return b.is_boolean(); })) {
      for (const auto& b : value) text += b.get<bool>() ? '1' : '0';
    } else if (value.is_string()) {
      text = value.get_ref<const std::string&>();
    } else {
      text = dump(value);
    }
    if (!out.empty()) out += ' ';
    out += key;
    out += '=';
    out += text;
  }
  return out;
}

}  // namespace autopeft::search
