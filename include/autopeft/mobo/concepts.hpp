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
// surrogate: a model of the objectives whose posterior the acquisitions read (gp, saas_gp,
// fully_bayesian_gp, ...). Inputs are in the model's [0, 1]^d, outcomes maximised.
//   Minimal members:
//     P posterior(const torch::Tensor& X) const;   // X [..., n, d] -> P with members
//                                                  //   mean [..., m, n], covariance [..., m, n, n]
//   (multivariate_normal is such a P), differentiable with respect to X, and copy construction
//   (acquisitions hold a copy). ask_tell, which fits its surrogate anew at every ask, also needs
//     static M from_data(const surrogate_data& d);  // d.X [n, d], d.Y [n, m] -> the fitted model
//   A model of the concept (the outcomes' mean everywhere, unit variance, no correlation):
//     struct constant_mean_model {
//       torch::Tensor mu;                                                      // [m]
//       static constant_mean_model from_data(const surrogate_data& d) { return {d.Y.mean(0)}; }
//       multivariate_normal posterior(const torch::Tensor& X) const {
//         auto mean = mu.view({-1, 1}) + 0.0 * X.select(-1, 0).unsqueeze(-2);  // [..., m, n]
//         return {mean, torch::diag_embed(torch::ones_like(mean))};              // [..., m, n, n]
//       }
//     };
//     static_assert(autopeft::mobo::surrogate<constant_mean_model>);
//   examples/mobo_plugins.cpp plugs one into ask_tell.
//
// ---------------------------------------------------------------------------------------------
// acquisition: a utility of candidate batches, computed from a model's posterior only
// (MAXIMISATION: larger is better; inputs in the model's [0, 1]^d).
//   Minimal members:
//     torch::Tensor operator()(const torch::Tensor& X) const;  // X [b, q, d] -> [b]
//   and copy construction. Conventions:
//     - The value is differentiable with respect to X wherever that makes sense (Monte-Carlo
//       acquisitions use fixed base samples, so the value is a deterministic function of X);
//       discrete optimisers call it under torch::NoGradGuard.
//     - Each of the b candidate sets of q points is scored jointly (a q-batch utility).
//   A model of the concept (the posterior mean of objective 0, best point of each batch):
//     template <class Model>
//     struct mean_acquisition {
//       Model model;
//       torch::Tensor operator()(const torch::Tensor& X) const {
//         auto mean = model.posterior(X).mean;          // [b, m, q]
//         return std::get<0>(mean.select(-2, 0).max(-1));  // [b]
//       }
//     };
//     static_assert(autopeft::mobo::acquisition<mean_acquisition<gp<rbf_kernel>>>);
//   Acquisitions chosen at run time are held type-erased in autopeft::mobo::acquisition_function.
//
// ---------------------------------------------------------------------------------------------
// acquisition_optimizer: finds a maximiser of an acquisition over the search space it carries
// (bounds, a lattice, a neighbour function or a candidate set).
//   Minimal members:
//     template <acquisition A>
//     torch::Tensor operator()(const A& acq) const;   // -> the best point found, [1, d]
//   and copy construction. q-batches come from sequential_greedy, which calls an optimiser q
//   times, each time with an acquisition conditioned on the points already picked as pending.
//   A model of the concept (the best of a fixed list of candidates C [N, d]):
//     struct best_of {
//       torch::Tensor C;
//       template <acquisition A>
//       torch::Tensor operator()(const A& acq) const {
//         torch::NoGradGuard no_grad;
//         auto values = acq(C.unsqueeze(1));            // [N, 1, d] -> [N]
//         return C[values.argmax().item<std::int64_t>()].unsqueeze(0);
//       }
//     };
//     static_assert(autopeft::mobo::acquisition_optimizer<best_of>);
// ---------------------------------------------------------------------------------------------
#include <autopeft/mobo/hyperparameter.hpp>
#include <autopeft/mobo/model/surrogate_data.hpp>

#include <torch/torch.h>

#include <concepts>
#include <vector>

namespace autopeft::mobo {

template <class P>
concept prior = std::copy_constructible<P> && requires(const P& p, const torch::Tensor& v) {
  { p.log_prob(v) } -> std::same_as<torch::Tensor>;
};

template <class M>
concept surrogate = std::copy_constructible<M> && requires(const M& m, const torch::Tensor& x) {
  { m.posterior(x).mean } -> std::convertible_to<torch::Tensor>;
  { m.posterior(x).covariance } -> std::convertible_to<torch::Tensor>;
};

template <class A>
concept acquisition = std::copy_constructible<A> && requires(const A& a, const torch::Tensor& x) {
  { a(x) } -> std::same_as<torch::Tensor>;
};

namespace detail {
// The least an optimiser may rely on: an acquisition_optimizer must accept this type.
struct acquisition_archetype {
  torch::Tensor operator()(const torch::Tensor& X) const;
};
}  // namespace detail

template <class O>
concept acquisition_optimizer =
    std::copy_constructible<O> && requires(const O& o, const detail::acquisition_archetype& a) {
      { o(a) } -> std::same_as<torch::Tensor>;
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

template <class M>
constexpr bool check_surrogate() {
  static_assert(
      requires(const M& m, const torch::Tensor& x) {
        { m.posterior(x).mean } -> std::convertible_to<torch::Tensor>;
        { m.posterior(x).covariance } -> std::convertible_to<torch::Tensor>;
      },
      "autopeft::mobo: the type does not model the concept `surrogate`: it lacks "
      "`posterior(const torch::Tensor& X) const` returning members `mean` [..., m, n] and "
      "`covariance` [..., m, n, n] (e.g. a multivariate_normal); "
      "see include/autopeft/mobo/concepts.hpp");
  static_assert(std::copy_constructible<M>,
                "autopeft::mobo: the type does not model the concept `surrogate`: it is not copy "
                "constructible; see include/autopeft/mobo/concepts.hpp");
  return true;
}

// ask_tell fits its surrogate at every ask: the concept plus a factory from the told data.
template <class M>
constexpr bool check_ask_tell_surrogate() {
  static_assert(check_surrogate<M>());
  static_assert(
      requires(const surrogate_data& d) {
        { M::from_data(d) } -> std::convertible_to<M>;
      },
      "autopeft::mobo::ask_tell: the Surrogate type lacks `static Surrogate from_data(const "
      "autopeft::mobo::surrogate_data&)`, which fits it to the told points (gp<K> has it for "
      "kernels built from ard_options); see the concept `surrogate` in "
      "include/autopeft/mobo/concepts.hpp and examples/mobo_plugins.cpp");
  return true;
}

template <class A>
constexpr bool check_acquisition() {
  static_assert(
      requires(const A& a, const torch::Tensor& x) {
        { a(x) } -> std::same_as<torch::Tensor>;
      },
      "autopeft::mobo: the type does not model the concept `acquisition`: it lacks "
      "`torch::Tensor operator()(const torch::Tensor& X /* b x q x d */) const`; "
      "see include/autopeft/mobo/concepts.hpp");
  static_assert(std::copy_constructible<A>,
                "autopeft::mobo: the type does not model the concept `acquisition`: it is not "
                "copy constructible; see include/autopeft/mobo/concepts.hpp");
  return true;
}

template <class O>
constexpr bool check_acquisition_optimizer() {
  static_assert(
      requires(const O& o, const acquisition_archetype& a) {
        { o(a) } -> std::same_as<torch::Tensor>;
      },
      "autopeft::mobo: the type does not model the concept `acquisition_optimizer`: it lacks "
      "`template <acquisition A> torch::Tensor operator()(const A& acq) const` returning the "
      "best point [1, d]; see include/autopeft/mobo/concepts.hpp");
  static_assert(std::copy_constructible<O>,
                "autopeft::mobo: the type does not model the concept `acquisition_optimizer`: it "
                "is not copy constructible; see include/autopeft/mobo/concepts.hpp");
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
