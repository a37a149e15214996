#pragma once
// A type-erased prior, so that kernels keep one member type whatever prior the user picks.
// An empty any_prior is the improper flat prior: log_prob is 0.
//
// Example:
//   any_prior p = gamma_prior{3.0, 6.0};
//   auto lp = p.log_prob(torch::tensor({0.5}, torch::kFloat64));
#include <autopeft/mobo/concepts.hpp>

#include <torch/torch.h>

#include <memory>
#include <type_traits>
#include <utility>

namespace autopeft::mobo {

class any_prior {
 public:
  any_prior() = default;

  template <class P>
  requires(!std::same_as<std::remove_cvref_t<P>, any_prior>)
      any_prior(P p)  // NOLINT(google-explicit-constructor): a prior *is* an any_prior
      : impl_(std::make_shared<holder<P>>(std::move(p))) {
    static_assert(detail::check_prior<P>());
  }

  [[nodiscard]] torch::Tensor log_prob(const torch::Tensor& value) const {
    return impl_ ? impl_->log_prob(value) : torch::zeros_like(value);
  }
  [[nodiscard]] explicit operator bool() const noexcept { return static_cast<bool>(impl_); }

 private:
  struct base {
    virtual ~base() = default;
    [[nodiscard]] virtual torch::Tensor log_prob(const torch::Tensor& value) const = 0;
  };
  template <class P>
  struct holder final : base {
    explicit holder(P p) : p_(std::move(p)) {}
    [[nodiscard]] torch::Tensor log_prob(const torch::Tensor& value) const override {
      return p_.log_prob(value);
    }
    P p_;
  };
  std::shared_ptr<const base> impl_;
};

}  // namespace autopeft::mobo
