#pragma once
// HF PEFT's disable_adapter context manager as a scope guard: while it lives, the model computes
// the base model's outputs, as if no adapter were attached; when it dies, the adapters are back
// as they were. For an encoder built with a peft::plan and for a module tree adapted by
// peft::inject alike. Uses: the base model's predictions (a reference, a KL term) without a
// second copy of the model.
//
// Merged adapters are unmerged for the scope and merged again at its end (HF unmerges them and
// leaves them so). Adapters are switched off, not removed: their parameters stay, they get no
// gradient inside the scope, and train normally after it. Guards nest. The model must outlive the
// guard; merging inside the scope is an error.
//
// Example:
//   {
//     peft::disable_adapter off(*model);
//     base_logits = model->forward(ids);    // the backbone's outputs, no adapter
//   }
//   auto logits = model->forward(ids);      // adapted again
#include <autopeft/peft/adapter_layer.hpp>

#include <torch/torch.h>

#include <vector>

namespace autopeft::peft {

class disable_adapter {
 public:
  /// Switches off every adapter of `model`. Throws autopeft::error when `model` holds none.
  explicit disable_adapter(torch::nn::Module& model) {
    for (auto& l : detail::adapter_layers(model, "peft::disable_adapter")) {
      const bool merged = l.layer->adapters_merged(), enabled = l.layer->adapters_enabled();
      if (merged) l.layer->unmerge_adapters();
      l.layer->enable_adapters(false);
      layers_.push_back({std::move(l), merged, enabled});
    }
  }
  ~disable_adapter() {
    for (auto& s : layers_) {
      s.layer.layer->enable_adapters(s.was_enabled);
      if (s.was_merged) s.layer.layer->merge_adapters();
    }
  }
  disable_adapter(const disable_adapter&) = delete;
  disable_adapter& operator=(const disable_adapter&) = delete;

 private:
  struct state {
    detail::named_adapter_layer layer;
    bool was_merged, was_enabled;
  };
  std::vector<state> layers_;
};

}  // namespace autopeft::peft
