#pragma once
// The settings of a study run: budget, initial design and the MOBO step. The defaults follow the
// AutoPEFT reference code (qNEHVI, local search over one-dimension neighbours, q = 4) scaled to
// a small budget; the kernel is the driver's template parameter (Matern-5/2 by default).
#include <autopeft/error.hpp>
#include <autopeft/mobo/ask_tell.hpp>
#include <autopeft/space/configuration.hpp>

#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace autopeft::search {

/// How the first `initial_trials` configurations are chosen.
enum class initial_design_kind { sobol, random };

/// Example (the reference's budget: 100 random points, then 25 batches of 4):
///   search::study_options o;
///   o.initial_trials = 100;  o.design = search::initial_design_kind::random;
///   o.batch_size = 4;  o.max_trials = 200;  o.reference_point = {0.7, 26.0};
struct study_options {
  std::int64_t initial_trials = 10;  ///< N_init
  initial_design_kind design = initial_design_kind::sobol;
  std::int64_t batch_size = 4;       ///< q: configurations per MOBO proposal
  /// Budget: the study stops once this many trials have finished (complete or failed; an
  /// interrupted attempt that is re-run counts once) ...
  std::int64_t max_trials = 40;
  /// ... or, when positive, once this many seconds of this run have passed (checked before each
  /// trial: a trial that starts in time finishes).
  double time_budget_seconds = 0;
  /// The hypervolume reference point, one value per objective in the objective's own units and
  /// sense (AutoPEFT: metric 0.7, 26 % parameters).
  std::vector<double> reference_point;
  mobo::acquisition_kind acquisition = mobo::acquisition_kind::qnehvi;
  std::int64_t mc_samples = 128;
  std::int64_t local_search_restarts = 10;
  std::int64_t fit_restarts = 0;
  std::uint64_t seed = 0;
  /// Why a configuration cannot run (empty string: it can), e.g. peft_evaluator::infeasible.
  /// Such configurations are never proposed; one found waiting in the store is pruned.
  std::function<std::string(const space::configuration&)> infeasible;

  void validate(std::size_t num_objectives) const {
    auto fail = [](const std::string& field, const std::string& what) {
      throw error("study_options: field '" + field + "' " + what);
    };
    if (initial_trials < 1) fail("initial_trials", "must be at least 1");
    if (batch_size < 1) fail("batch_size", "must be at least 1");
    if (max_trials < 1) fail("max_trials", "must be at least 1");
    if (!(time_budget_seconds >= 0) || !std::isfinite(time_budget_seconds))
      fail("time_budget_seconds", "must be 0 (no limit) or a positive number of seconds");
    if (reference_point.size() != num_objectives)
      fail("reference_point", "has " + std::to_string(reference_point.size()) + " values but the study has " +
                                  std::to_string(num_objectives) + " objectives: give one per objective");
    for (double v : reference_point)
      if (!std::isfinite(v)) fail("reference_point", "holds a non-finite value");
    if (mc_samples < 1) fail("mc_samples", "must be at least 1");
    if (local_search_restarts < 0) fail("local_search_restarts", "must not be negative");
  }
};

}  // namespace autopeft::search
