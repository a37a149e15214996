#pragma once
// Where a policy attaches: HF PEFT's `target_modules` and `layers_to_transform`, over the
// HF-named module paths of the encoder's sites ("encoder.layer.3.attention.self.query").
#include <autopeft/model/site.hpp>

#include <cstdint>
#include <optional>
#include <regex>
#include <string>
#include <vector>

namespace autopeft::peft {

/// The module path of a linear or LayerNorm site in layer `layer`, as HF names it.
inline std::string site_path(std::int64_t layer, model::site s) {
  using model::site;
  const std::string pre = "encoder.layer." + std::to_string(layer) + ".";
  switch (s) {
    case site::query: return pre + "attention.self.query";
    case site::key: return pre + "attention.self.key";
    case site::value: return pre + "attention.self.value";
    default: return pre + std::string(model::to_string(s));
  }
}

/// HF PEFT's target selection. A list matches a module whose path equals an entry or ends with
/// "." + entry; a single regex (`target_regex`) must match the whole path. An empty list and
/// no regex match nothing. The list {"all-linear"} is HF's shorthand: every Linear layer but the
/// output layer (a module named lm_head, score or classifier).
struct targets {
  std::vector<std::string> names;
  std::optional<std::string> regex;

  targets() = default;
  targets(std::initializer_list<std::string> n) : names(n) {}
  targets(std::vector<std::string> n) : names(std::move(n)) {}  // NOLINT: implicit, as HF's lists

  [[nodiscard]] bool matches(const std::string& path) const {
    if (regex) return std::regex_match(path, std::regex(*regex));
    if (names.size() == 1 && names[0] == "all-linear") {
      const auto last = path.substr(path.rfind('.') + 1);  // npos + 1 == 0: the whole path
      return last != "lm_head" && last != "score" && last != "classifier";
    }
    for (const auto& n : names)
      if (path == n || (path.size() > n.size() && path.compare(path.size() - n.size(), n.size(), n) == 0 &&
                        path[path.size() - n.size() - 1] == '.'))
        return true;
    return false;
  }
  [[nodiscard]] bool empty() const { return names.empty() && !regex; }
};

/// HF PEFT's `layers_to_transform`: empty means every layer.
inline bool layer_selected(const std::vector<std::int64_t>& layers, std::int64_t layer) {
  return layers.empty() || std::find(layers.begin(), layers.end(), layer) != layers.end();
}

}  // namespace autopeft::peft
