#pragma once
// The one place where the `acquisition` setting, a name chosen at run time, becomes the MOBO
// policies that the library takes as types (search::study_driver<Space, Surrogate, Acquisition,
// Optimizer>). The driver is instantiated once per space with the two adaptors below, which
// dispatch on the name at each call, rather than once per acquisition.
#include <autopeft/error.hpp>
#include <autopeft/mobo/acquisition.hpp>
#include <autopeft/mobo/kernel/matern_kernel.hpp>
#include <autopeft/mobo/model/gp.hpp>
#include <autopeft/mobo/optimizer/pareto_local_search.hpp>
#include <autopeft/mobo/optimizer/random_candidates.hpp>
#include <autopeft/search/study/study_driver.hpp>
#include <autopeft/search/study/study_options.hpp>

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <utility>

namespace autopeft::cli {

/// Calls f(acquisition policy, optimiser policy) for the acquisition `name`; the acquisitions
/// whose value is a random draw are searched over random candidates, the others from the Pareto
/// set.
template <class F>
decltype(auto) with_acquisition(const std::string& name, F&& f) {
  using namespace mobo;
  if (name == "qnehvi") return f(acquisition_of<qnehvi>{}, pareto_local_search{});
  if (name == "qlog_nehvi") return f(acquisition_of<qlog_nehvi>{}, pareto_local_search{});
  if (name == "qnparego") return f(acquisition_of<qnparego>{}, pareto_local_search{});
  if (name == "ucb") return f(acquisition_of<scalarized_ucb>{}, pareto_local_search{});
  if (name == "thompson") return f(acquisition_of<thompson_sampling>{}, random_candidates{});
  if (name == "random") return f(random_search{}, random_candidates{});
  throw error("setting 'acquisition' must be one of qnehvi, qlog_nehvi, qnparego, ucb, thompson, random; not '" +
              name + "'");
}

/// The acquisition policy of the setting's name: its acquisition, type-erased.
struct acquisition_by_name {
  std::string name = "qnehvi";

  template <mobo::surrogate M>
  [[nodiscard]] mobo::acquisition_function operator()(const M& model, const mobo::acquisition_context& c) const {
    return with_acquisition(name, [&](auto acquisition, auto) { return mobo::acquisition_function(acquisition(model, c)); });
  }
};

/// The optimiser policy that goes with the setting's acquisition.
struct optimizer_by_name {
  std::string acquisition = "qnehvi";

  template <class Make>
  [[nodiscard]] torch::Tensor operator()(const mobo::optimizer_context& c, Make&& make, std::int64_t q) const {
    return with_acquisition(acquisition, [&](auto, auto optimizer) { return optimizer(c, make, q); });
  }
};

template <class Space>
using study_driver_by_name =
    search::study_driver<Space, mobo::gp<mobo::matern52_kernel>, acquisition_by_name, optimizer_by_name>;

/// The study driver of the settings' acquisition (checked here: an unknown name is an error).
template <class Space>
study_driver_by_name<Space> study_driver_of(const std::string& acquisition, search::study_options options) {
  with_acquisition(acquisition, [](auto, auto) { return 0; });
  return study_driver_by_name<Space>(std::move(options), {acquisition}, {acquisition});
}

}  // namespace autopeft::cli
