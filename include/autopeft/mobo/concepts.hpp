#pragma once
// The extension points of the MOBO core, as C++20 concepts.
//
// ---------------------------------------------------------------------------------------------
// prior: a density over a hyperparameter's constrained value.
//   Minimal members:
//     torch::Tensor log_prob(const torch::Tensor& value) const;   // elementwise, same shape
//   A model of the concept (an exponential prior with rate b):
//     struct exponential_prior {
//       double rate = 1.0;
//       torch::Tensor log_prob(const torch::Tensor& v) const {
//         return std::log(rate) - rate * v;
//       }
//     };
//     static_assert(autopeft::mobo::prior<exponential_prior>);
//   Kernels store priors type-erased in autopeft::mobo::any_prior.
//
// ---------------------------------------------------------------------------------------------
// kernel: a positive semi-definite covariance function with trainable hyperparameters.
//   Minimal members:
//     torch::Tensor operator()(const torch::Tensor& x1,        // [..., n, d]
//                              const torch::Tensor& x2) const; // [..., p, d] -> [..., n, p]
//     std::vector<hyperparameter> hyperparameters() const;     // handles on the raw tensors
//     torch::Tensor log_prior() const;                         // scalar, summed over all
//   and copy construction (copies share hyperparameter storage, like torch::Tensor does).
//   Conventions:
//     - The raw tensors are leaves with requires_grad, so a MAP fit hands them to a
//       torch::optim optimiser and a sampler writes into them; hyperparameter::value() maps
//       them to the constrained values.
//     - A kernel has a batch shape B (e.g. [m], one GP per objective, or [s, m] for s MCMC
//       samples): its hyperparameters have leading dims B and its output broadcasts the
//       inputs' batch dims against B. When x1 and x2 are the same tensor the kernel may use it
//       (exact zero distance on the diagonal).
//     - log_prior() is the log density of the priors at the constrained values, without the
//       Jacobian of the raw -> value map (GPyTorch's convention, so MAP finds the mode in value
//       space). Samplers add hyperparameter::log_abs_det_jacobian() themselves.
//   A model of the concept (a constant kernel c with a log-normal prior):
//     struct constant_kernel {
//       torch::Tensor raw = hyperparameter::make_raw({}, 1.0);
//       torch::Tensor operator()(const torch::Tensor& x1, const torch::Tensor& x2) const {
//         return torch::exp(raw) * torch::ones({x1.size(-2), x2.size(-2)}, x1.options());
//       }
//       std::vector<hyperparameter> hyperparameters() const { return {{"constant", raw}}; }
//       torch::Tensor log_prior() const {
//         return log_normal_prior{0.0, 1.0}.log_prob(torch::exp(raw)).sum();
//       }
//     };
//
// ---------------------------------------------------------------------------------------------
// Reserved for the acquisition layer (added by its own headers, in this file):
//   acquisition            - maps candidate sets X [b, q, d] to values [b] through a model's
//                            posterior only;
//   acquisition_optimizer  - maps an acquisition and a search space to a batch of q candidates.
// ---------------------------------------------------------------------------------------------
#include <autopeft/mobo/hyperparameter.hpp>

#include <torch/torch.h>

#include <concepts>
#include <vector>

namespace autopeft::mobo {

template <class P>
concept prior = std::copy_constructible<P> && requires(const P& p, const torch::Tensor& v) {
  { p.log_prob(v) } -> std::same_as<torch::Tensor>;
};

template <class K>
concept kernel = std::copy_constructible<K> && requires(const K& k, const torch::Tensor& x) {
  { k(x, x) } -> std::same_as<torch::Tensor>;
  { k.hyperparameters() } -> std::same_as<std::vector<hyperparameter>>;
  { k.log_prior() } -> std::same_as<torch::Tensor>;
};

namespace detail {

// Checked once at each public entry point that takes a kernel type, one message per missing
// member, so that the compiler names the member instead of printing an instantiation stack.
template <class K>
constexpr bool check_kernel() {
  static_assert(
      requires(const K& k, const torch::Tensor& x) {
        { k(x, x) } -> std::same_as<torch::Tensor>;
      },
      "autopeft::mobo: the type does not model the concept `kernel`: it lacks "
      "`torch::Tensor operator()(const torch::Tensor& x1, const torch::Tensor& x2) const`; "
      "see include/autopeft/mobo/concepts.hpp");
  static_assert(
      requires(const K& k) {
        { k.hyperparameters() } -> std::same_as<std::vector<hyperparameter>>;
      },
      "autopeft::mobo: the type does not model the concept `kernel`: it lacks "
      "`std::vector<autopeft::mobo::hyperparameter> hyperparameters() const`; "
      "see include/autopeft/mobo/concepts.hpp");
  static_assert(
      requires(const K& k) {
        { k.log_prior() } -> std::same_as<torch::Tensor>;
      },
      "autopeft::mobo: the type does not model the concept `kernel`: it lacks "
      "`torch::Tensor log_prior() const`; see include/autopeft/mobo/concepts.hpp");
  static_assert(std::copy_constructible<K>,
                "autopeft::mobo: the type does not model the concept `kernel`: it is not copy "
                "constructible; see include/autopeft/mobo/concepts.hpp");
  return true;
}

template <class P>
constexpr bool check_prior() {
  static_assert(
      requires(const P& p, const torch::Tensor& v) {
        { p.log_prob(v) } -> std::same_as<torch::Tensor>;
      },
      "autopeft::mobo: the type does not model the concept `prior`: it lacks "
      "`torch::Tensor log_prob(const torch::Tensor& value) const`; "
      "see include/autopeft/mobo/concepts.hpp");
  static_assert(std::copy_constructible<P>,
                "autopeft::mobo: the type does not model the concept `prior`: it is not copy "
                "constructible; see include/autopeft/mobo/concepts.hpp");
  return true;
}

}  // namespace detail
}  // namespace autopeft::mobo
