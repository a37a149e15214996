#pragma once
// The error a training loop raises when the loss stops being a finite number, so that a search
// can mark the trial failed (diverged) rather than crash or record garbage.
#include <autopeft/error.hpp>

#include <cstdint>
#include <string>

namespace autopeft::train {

class non_finite_loss : public error {
 public:
  non_finite_loss(std::int64_t step, double loss, const std::string& where)
      : error(where + ": the loss is " + describe(loss) + " at step " + std::to_string(step) +
              ": the run diverged; lower the learning rate, or check the data and the model's "
              "initialisation"),
        step_(step),
        loss_(loss) {}

  /// The 0-based optimizer step whose loss was not finite.
  [[nodiscard]] std::int64_t step() const noexcept { return step_; }
  [[nodiscard]] double loss() const noexcept { return loss_; }

 private:
  static std::string describe(double v) { return v != v ? "NaN" : v > 0 ? "+inf" : "-inf"; }
  std::int64_t step_;
  double loss_;
};

}  // namespace autopeft::train
