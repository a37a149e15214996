#pragma once
// The acquisition policy of a class template A<Model> that has a constructor
// (Model, const acquisition_context&): what ask_tell and study_driver take as their
// Acquisition parameter. A policy is a copyable value called once per acquisition that ask
// needs (sequential_greedy builds one per point, each with the points picked before it pending):
//   template <surrogate M> acquisition auto operator()(const M& model, const acquisition_context&) const;
// Any type with that call operator is a policy (examples/mobo_plugins.cpp writes one).
//
// Example:
//   mobo::ask_tell<mobo::gp<mobo::rbf_kernel>, mobo::acquisition_of<mobo::qnehvi>> opt(bounds, 2, ref);
#include <autopeft/mobo/acquisition/acquisition_context.hpp>
#include <autopeft/mobo/concepts.hpp>

namespace autopeft::mobo {

template <template <class> class A>
struct acquisition_of {
  template <surrogate M>
  [[nodiscard]] A<M> operator()(const M& model, const acquisition_context& c) const {
    return A<M>(model, c);
  }
};

}  // namespace autopeft::mobo
