#pragma once
// Linear warm-up then linear decay to zero, as HF transformers' get_linear_schedule_with_warmup:
//
//   factor(s) = s / max(1, W)                       for s < W
//             = max(0, (T - s) / max(1, T - W))     otherwise
//
// where s counts optimizer steps from 0, W is the number of warm-up steps and T the total. The
// learning rate of step s (the s-th call of optimizer.step(), 0-based) is lr * factor(s): HF
// steps the scheduler after the optimizer, so its first step runs at factor(0) = 0 when W > 0.
#include <autopeft/error.hpp>

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

namespace autopeft::train {

/// Example:
///   auto schedule = train::linear_schedule::with_warmup_ratio(3e-4, /*total=*/1000, 0.06);
///   for (std::int64_t s = 0; s < 1000; ++s) {
///     schedule.apply(optimizer, s);   // every param group gets lr 3e-4 * factor(s)
///     ...; optimizer.step();
///   }
struct linear_schedule {
  double learning_rate = 5e-5;
  std::int64_t warmup_steps = 0;
  std::int64_t total_steps = 1;

  /// HF's rule for TrainingArguments.warmup_ratio: W = ceil(ratio * T).
  [[nodiscard]] static linear_schedule with_warmup_ratio(double lr, std::int64_t total, double ratio) {
    if (ratio < 0 || ratio > 1) throw error("linear_schedule: warmup_ratio must lie in [0, 1], got " + std::to_string(ratio));
    return {lr, static_cast<std::int64_t>(std::ceil(ratio * static_cast<double>(total))), total};
  }

  /// The multiplier of the base learning rate at 0-based optimizer step `step`.
  [[nodiscard]] double factor(std::int64_t step) const {
    if (step < warmup_steps) return static_cast<double>(step) / static_cast<double>(std::max<std::int64_t>(1, warmup_steps));
    return std::max(0.0, static_cast<double>(total_steps - step) /
                             static_cast<double>(std::max<std::int64_t>(1, total_steps - warmup_steps)));
  }

  [[nodiscard]] double lr(std::int64_t step) const { return learning_rate * factor(step); }

  /// Sets the learning rate of every parameter group to lr(step).
  void apply(torch::optim::Optimizer& optimizer, std::int64_t step) const {
    const double v = lr(step);
    for (auto& group : optimizer.param_groups()) group.options().set_lr(v);
  }
};

}  // namespace autopeft::train
