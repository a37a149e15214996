#pragma once
// Freezing and counting: every base weight frozen; PEFT parameters, the parameters a selective
// policy trains, and the task head trainable (as HF PEFT's modules_to_save does for a
// classifier); and HF's print_trainable_parameters line.
#include <torch/torch.h>

#include <cstdint>
#include <cstdio>
#include <string>

namespace autopeft::peft {

struct parameter_counts {
  std::int64_t trainable = 0;
  std::int64_t total = 0;
  [[nodiscard]] double percent() const { return total ? 100.0 * trainable / total : 0.0; }
  /// HF PEFT's format: "trainable params: 296,450 || all params: 109,780,228 || trainable%: 0.2700".
  /// Unlike HF, `total` counts a trainable head once (HF counts modules_to_save twice).
  [[nodiscard]] std::string str() const {
    auto commas = [](std::int64_t v) {
      auto s = std::to_string(v);
      for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<std::size_t>(i), ",");
      return s;
    };
    char pct[32];
    std::snprintf(pct, sizeof pct, "%.4f", percent());
    return "trainable params: " + commas(trainable) + " || all params: " + commas(total) +
           " || trainable%: " + pct;
  }
};

inline bool is_peft_parameter(const std::string& name) {
  return ("." + name).find(".peft.") != std::string::npos;
}

/// True for parameters of the backbone (`bert.*`, `roberta.*`, or a bare encoder's keys).
inline bool is_backbone_parameter(const std::string& name) {
  for (const char* p : {"bert.", "roberta.", "embeddings.", "encoder.", "pooler."})
    if (name.rfind(p, 0) == 0) return true;
  return false;
}

/// Freezes the backbone of a model built with a plan: trainable are PEFT parameters, base
/// parameters the plan's selective policies train, and (train_head) everything outside the
/// backbone — the task head. Returns the counts.
template <class Holder>
parameter_counts mark_trainable(Holder& model, bool train_head = true) {
  const auto* plan = [&] {
    if constexpr (requires { model->peft(); }) return &model->peft();
    else return &model->backbone->peft();
  }();
  parameter_counts c;
  for (auto& p : model->named_parameters(true)) {
    const auto& k = p.key();
    bool train = is_peft_parameter(k) || plan->trains_base(k) || (train_head && !is_backbone_parameter(k));
    p.value().set_requires_grad(train);
    c.total += p.value().numel();
    if (train) c.trainable += p.value().numel();
  }
  return c;
}

/// Counts without changing anything.
inline parameter_counts count_parameters(torch::nn::Module& model) {
  parameter_counts c;
  for (auto& p : model.parameters(true)) {
    c.total += p.numel();
    if (p.requires_grad()) c.trainable += p.numel();
  }
  return c;
}

}  // namespace autopeft::peft
