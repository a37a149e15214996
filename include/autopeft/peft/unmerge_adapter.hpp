#pragma once
// HF PEFT's unmerge_adapter: undoes peft::merge_adapter, so the base weights are the original
// ones again (to fp32 rounding) and the adapters compute their updates in the forward again.
// A no-op for adapters that are not merged.
#include <autopeft/peft/adapter_layer.hpp>

#include <torch/torch.h>

namespace autopeft::peft {

/// Subtracts (divides, for (IA)3) every merged update of `model` from its base weights. Throws
/// autopeft::error when `model` holds no adapter.
inline void unmerge_adapter(torch::nn::Module& model) {
  for (const auto& l : detail::adapter_layers(model, "peft::unmerge_adapter")) l.layer->unmerge_adapters();
}

}  // namespace autopeft::peft
