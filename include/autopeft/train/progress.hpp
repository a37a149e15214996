#pragma once
// What a training loop reports after each optimizer step and each evaluation.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace autopeft::train {

struct progress {
  std::string phase;                ///< "pretrain", "train" or "eval"
  std::int64_t step = 0;            ///< optimizer steps done (1-based after the first step)
  std::int64_t total_steps = 0;
  double loss = 0;                  ///< the loss of the last step
  double learning_rate = 0;         ///< the learning rate the last step used
  double tokens_per_second = 0;     ///< non-padding tokens through the model, this run
  double elapsed_seconds = 0;       ///< since this run started (a resumed run: since the resume)
  double eta_seconds = 0;           ///< at the current speed
  std::optional<double> metric;     ///< after an evaluation: the dev metric
  std::int64_t epoch = 0;
};

/// Called by the training loops; copying it must be cheap (wrap state in a shared_ptr).
using progress_callback = std::function<void(const progress&)>;

}  // namespace autopeft::train
