#pragma once
// The ARD lengthscale hyperparameter, [*B, 1, d], with its prior. Internal.
#include <autopeft/error.hpp>
#include <autopeft/mobo/hyperparameter.hpp>
#include <autopeft/mobo/kernel/ard_options.hpp>
#include <autopeft/mobo/kernel/detail/distance.hpp>

#include <string>

namespace autopeft::mobo::detail {

struct ard_lengthscale {
  hyperparameter h;
  any_prior prior;

  ard_lengthscale(const ard_options& o, const char* kernel_name)
      : h{"lengthscale", (check(o, kernel_name),
                          hyperparameter::make_raw(concat_shape(o.batch_shape, {1, o.ard_num_dims}),
                                                   o.initial_lengthscale))},
        prior(o.lengthscale_prior) {}

  [[nodiscard]] torch::Tensor value() const { return h.value(); }
  [[nodiscard]] torch::Tensor log_prior() const {
    return prior ? prior.log_prob(h.value()).sum() : torch::zeros({}, h.raw.options());
  }

 private:
  static void check(const ard_options& o, const char* kernel_name) {
    if (o.ard_num_dims < 1)
      throw error(std::string(kernel_name) + ": ard_options.ard_num_dims must be >= 1, got " +
                  std::to_string(o.ard_num_dims));
    if (!(o.initial_lengthscale > 0.0))
      throw error(std::string(kernel_name) + ": ard_options.initial_lengthscale must be > 0, got " +
                  std::to_string(o.initial_lengthscale));
  }
};

}  // namespace autopeft::mobo::detail
