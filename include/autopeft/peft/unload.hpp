#pragma once
// HF PEFT's unload: the base model back, its adapters removed without merging. Works on an
// encoder built with a peft::plan and on a module tree adapted by peft::inject alike.
//
// Unlike HF, an adapter merged by peft::merge_adapter is unmerged first, so the base weights are
// always the original ones; adapters that were never merged leave them untouched, and the outputs
// are then the base model's bit for bit. An encoder keeps its plan object (model->peft()), which
// still describes the removed adapters: reset_peft(model->peft()) would build fresh ones.
#include <autopeft/peft/adapter_layer.hpp>

#include <torch/torch.h>

namespace autopeft::peft {

/// Removes every adapter of `model` (and the modules they share); no PEFT parameter is left.
/// Throws autopeft::error when `model` holds no adapter.
inline void unload(torch::nn::Module& model) {
  const auto layers = detail::adapter_layers(model, "peft::unload");
  for (const auto& l : layers) l.layer->unmerge_adapters();
  detail::drop_adapters(model, layers);
}

}  // namespace autopeft::peft
