#pragma once
// HF PEFT's active_adapter: the name of the adapter that computes (peft::set_adapter chose it;
// "default" unless another was set or the tree's first adapter had another name).
//
// Example:
//   peft::set_adapter(*net, "wide");
//   CHECK(peft::active_adapter(*net) == "wide");
#include <autopeft/peft/adapter_layer.hpp>

#include <torch/torch.h>

#include <string>

namespace autopeft::peft {

/// Throws autopeft::error when the model holds no adapter.
inline std::string active_adapter(torch::nn::Module& model) {
  return detail::adapter_layers(model, "peft::active_adapter").front().layer->active_adapter();
}

}  // namespace autopeft::peft
