#pragma once
// The acquisition policy of random search (see acquisition_of.hpp): a random_acquisition per
// call, seeded from the context, whatever the model says. Pair it with random_candidates.
//
// Example:
//   mobo::ask_tell<mobo::gp<mobo::rbf_kernel>, mobo::random_search, mobo::random_candidates> opt(bounds, 2, ref);
#include <autopeft/mobo/acquisition/acquisition_context.hpp>
#include <autopeft/mobo/acquisition/random_acquisition.hpp>
#include <autopeft/mobo/concepts.hpp>

namespace autopeft::mobo {

struct random_search {
  template <surrogate M>
  [[nodiscard]] random_acquisition operator()(const M&, const acquisition_context& c) const {
    return random_acquisition({.seed = c.seed});
  }
};

}  // namespace autopeft::mobo
