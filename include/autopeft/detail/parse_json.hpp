#pragma once
// JSON parsing with a nesting limit. nlohmann parses any depth, but copying, comparing and
// dumping a value recurse once per level: a file of a few hundred kB of '[' overflows the stack
// wherever the value is later copied or shown in an error message (found by fuzzing the BPE
// vocab.json reader). The config and data files autopeft reads nest a few levels.
#include <nlohmann/json.hpp>

#include <string>

namespace autopeft::detail {

/// Deepest nesting accepted by parse_json(); HF's configs and vocabularies use 3 or fewer.
inline constexpr int max_json_depth = 64;

/// nlohmann::json::parse(input) that throws nlohmann::json::parse_error (as a syntax error does)
/// when arrays and objects nest deeper than `max_depth`.
template <class Input>
nlohmann::json parse_json(Input&& input, int max_depth = max_json_depth) {
  auto limit = [max_depth](int depth, nlohmann::json::parse_event_t event, nlohmann::json&) {
    using ev = nlohmann::json::parse_event_t;
    if ((event == ev::object_start || event == ev::array_start) && depth >= max_depth)
      throw nlohmann::json::parse_error::create(
          101, 0, "arrays and objects nest deeper than " + std::to_string(max_depth) + " levels", nullptr);
    return true;
  };
  return nlohmann::json::parse(std::forward<Input>(input), limit);
}

}  // namespace autopeft::detail
