#pragma once
// The settings of a study run: budget, initial design and the MOBO step. The defaults follow the
// AutoPEFT reference code (qNEHVI, local search over one-dimension neighbours, q = 4) scaled to
// a small budget; the surrogate, the acquisition and its optimiser are the driver's template
// parameters (study_driver.hpp).
#include <autopeft/error.hpp>
#include <autopeft/search/store/trial_fidelity.hpp>
#include <autopeft/space/configuration.hpp>

#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace autopeft::search {

/// How the first `initial_trials` configurations are chosen: Sobol points, uniform random
/// points, or Sobol points stratified by the closed-form cost (study_options::cost; see
/// space/sample_cost_stratified.hpp), so the design spans the log-cost range.
enum class initial_design_kind { sobol, random, cost_stratified };

/// Example (the reference's budget: 100 random points, then 25 batches of 4):
///   search::study_options o;
///   o.initial_trials = 100;  o.design = search::initial_design_kind::random;
///   o.batch_size = 4;  o.max_trials = 200;  o.reference_point = {0.7, 26.0};
struct study_options {
  std::int64_t initial_trials = 10;  ///< N_init
  initial_design_kind design = initial_design_kind::sobol;
  /// Configurations the initial design starts with, before `design` fills the rest of
  /// initial_trials (e.g. search::hand_designed_in_space for the methods a user would pick by
  /// hand; SMAC evaluates its default configuration first the same way). Infeasible or repeated
  /// ones are skipped; beyond initial_trials they are not run.
  std::vector<space::configuration> initial_configurations;
  /// Multi-fidelity: run the initial_configurations at the top rung instead of rung 0. They are
  /// the anchors a search is judged against (hand-designed methods), and a cheap rung can be
  /// blind to them: on a task that learns late, every rung below the top scores a good
  /// configuration at chance, so it is never promoted (docs/results/autopeft_vs_baselines.md,
  /// wn_hypernym). At the top rung they count on the front from the start. No effect without
  /// fidelities.
  bool initial_configurations_at_top_rung = false;
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
  std::int64_t mc_samples = 128;
  std::int64_t local_search_restarts = 10;
  std::int64_t fit_restarts = 0;
  std::uint64_t seed = 0;
  /// Why a configuration cannot run (empty string: it can), e.g. peft_evaluator::infeasible.
  /// Such configurations are never proposed; one found waiting in the store is pruned.
  std::function<std::string(const space::configuration&)> infeasible;
  /// The closed-form cost of a configuration, known before it runs (e.g. peft_evaluator::cost,
  /// the % of stored parameters); needed by initial_design_kind::cost_stratified.
  std::function<double(const space::configuration&)> cost;

  /// Multi-fidelity: the rungs, cheapest first (their `level` is set from the position); empty
  /// for a single-fidelity study. New configurations start at rung 0; of every `eta`
  /// configurations complete at a rung, the best one (by non-dominated rank, then hypervolume
  /// contribution) is promoted to the next rung: asynchronous successive halving (ASHA, Li et
  /// al., 2020) with the multi-objective ranking of MO-ASHA (Schmucker et al., 2021). The
  /// Pareto set and the hypervolume use each configuration's result at the highest rung it
  /// reached; so does the surrogate, unless surrogate_min_points says otherwise. The evaluator must be a
  /// multi_fidelity_evaluator.
  std::vector<trial_fidelity> fidelities;
  std::int64_t eta = 3;
  /// 0 (default): the surrogate learns from each configuration at the highest rung it reached.
  /// > 0: from one rung only, the highest with at least this many complete configurations
  /// (rung 0 until then), as BOHB does; on the synthetic benchmark that was worse
  /// (docs/results/multi_fidelity_synthetic.md).
  std::int64_t surrogate_min_points = 0;
  /// Budget in summed fidelity cost (each finished trial adds its rung's cost; a trial without
  /// fidelity adds 1): when positive, the study also stops once this much is spent.
  double max_cost = 0;

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
    if (design == initial_design_kind::cost_stratified && !cost)
      fail("cost", "is not set: the cost-stratified initial design needs the closed-form cost of a configuration");
    if (eta < 2) fail("eta", "must be at least 2 (of every eta configurations at a rung, one is promoted)");
    if (surrogate_min_points < 0) fail("surrogate_min_points", "must be 0 (each configuration at its highest rung) or positive");
    for (std::size_t i = 0; i < fidelities.size(); ++i) {
      if (!(fidelities[i].cost > 0) || !std::isfinite(fidelities[i].cost))
        fail("fidelities[" + std::to_string(i) + "].cost", "must be a positive number");
      if (!fidelities[i].resources.is_object())
        fail("fidelities[" + std::to_string(i) + "].resources", "must be a JSON object");
    }
    if (!(max_cost >= 0) || !std::isfinite(max_cost)) fail("max_cost", "must be 0 (no limit) or positive");
  }

  /// The fidelity of rung `level`, its level set.
  [[nodiscard]] trial_fidelity rung(std::size_t level) const {
    auto f = fidelities.at(level);
    f.level = static_cast<std::int64_t>(level);
    return f;
  }
};

}  // namespace autopeft::search
