#pragma once
// A type-erased acquisition (X [b, q, d] -> [b]), for acquisitions chosen at run time (an
// acquisition policy that maps names to acquisitions, as the autopeft program's does) and
// optimisers compiled once. Copies share the wrapped acquisition.
//
// Example:
//   acquisition_function acq = use_log ? acquisition_function(qlog_nehvi(model, ref, X))
//                                      : acquisition_function(qnehvi(model, ref, X));
#include <autopeft/mobo/concepts.hpp>

#include <torch/torch.h>

#include <concepts>
#include <memory>
#include <type_traits>
#include <utility>

namespace autopeft::mobo {

class acquisition_function {
 public:
  template <class A>
    requires(!std::same_as<std::remove_cvref_t<A>, acquisition_function>)
  acquisition_function(A acq)  // NOLINT: implicit, so that any acquisition converts
      : f_(std::make_shared<holder<A>>(std::move(acq))) {
    static_assert(detail::check_acquisition<A>());
  }

  /// X [b, q, d] -> [b].
  [[nodiscard]] torch::Tensor operator()(const torch::Tensor& X) const { return (*f_)(X); }

 private:
  struct base {
    virtual ~base() = default;
    virtual torch::Tensor operator()(const torch::Tensor& X) const = 0;
  };
  template <class A>
  struct holder final : base {
    explicit holder(A a) : acq(std::move(a)) {}
    torch::Tensor operator()(const torch::Tensor& X) const override { return acq(X); }
    A acq;
  };
  std::shared_ptr<const base> f_;
};

}  // namespace autopeft::mobo
