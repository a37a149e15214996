#pragma once
// A scalar-per-batch hyperparameter [*B] with its prior. Internal.
#include <autopeft/error.hpp>
#include <autopeft/mobo/hyperparameter.hpp>
#include <autopeft/mobo/prior/any_prior.hpp>

#include <string>
#include <vector>

namespace autopeft::mobo::detail {

struct scalar_parameter {
  hyperparameter h;
  any_prior prior;

  scalar_parameter(const std::string& owner, const std::string& name,
                   const std::vector<std::int64_t>& batch_shape, double initial, any_prior p,
                   constraint kind = constraint::positive)
      : h{name,
          (check(owner, name, initial, kind), hyperparameter::make_raw(batch_shape, initial, kind)),
          kind},
        prior(std::move(p)) {}

  [[nodiscard]] torch::Tensor value() const { return h.value(); }
  [[nodiscard]] torch::Tensor log_prior() const {
    return prior ? prior.log_prob(h.value()).sum() : torch::zeros({}, h.raw.options());
  }

 private:
  static void check(const std::string& owner, const std::string& name, double v, constraint kind) {
    const bool ok = kind == constraint::positive ? v > 0.0 : (v > 0.0 && v < 1.0);
    if (!ok)
      throw error(owner + ": initial " + name + " must be " +
                  (kind == constraint::positive ? "> 0" : "in (0, 1)") + ", got " +
                  std::to_string(v));
  }
};

}  // namespace autopeft::mobo::detail
