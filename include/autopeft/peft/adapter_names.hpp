#pragma once
// The names of the adapters a model holds (HF: `model.peft_config.keys()`), in attach order. A
// plan's modules are the adapter "default".
//
// Example:
//   CHECK(peft::adapter_names(*net) == std::vector<std::string>{"default", "wide"});
#include <autopeft/peft/adapter_layer.hpp>

#include <torch/torch.h>

#include <algorithm>
#include <string>
#include <vector>

namespace autopeft::peft {

/// Throws autopeft::error when the model holds no adapter.
inline std::vector<std::string> adapter_names(torch::nn::Module& model) {
  std::vector<std::string> out;
  for (const auto& l : detail::adapter_layers(model, "peft::adapter_names"))
    for (auto& n : l.layer->adapter_names())
      if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(std::move(n));
  return out;
}

}  // namespace autopeft::peft
