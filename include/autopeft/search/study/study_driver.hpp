#pragma once
// The AutoPEFT study loop over a study_storage (search/concepts.hpp; study_store is the
// ready-made one): an initial design (Sobol or random), then MOBO batches of q configurations,
// each configuration evaluated by a trial_evaluator, every result committed to the store before
// the next trial starts. The MOBO step is mobo::ask_tell with the driver's Surrogate,
// Acquisition and Optimizer (mobo/ask_tell.hpp); the defaults, those of mobo::autopeft_bo, are
// AutoPEFT's: a Matern-5/2 GP per objective, qNEHVI, local search over one-dimension neighbours
// started at the Pareto set. Policies that carry state (a choice made at run time) are passed
// to the constructor.
//
// Crash safety comes from the order of writes: proposals are enqueued (waiting) before they
// run, a trial is marked running before its evaluation starts and complete or failed after it.
// run() on a store left by a killed process first fails the trials that were running (reason
// "interrupted: ...") and enqueues a copy of each, then evaluates what waits, then proposes
// more: no finished trial is touched, and the optimiser is rebuilt from the complete trials.
// A resumed study with a fixed seed proposes what an uninterrupted one does: a batch is enqueued
// in one transaction, each proposal step seeds its optimiser from (seed, trials proposed so far),
// each trial's seed is a function of (study seed, its proposal index) and a re-run keeps it, and
// the optimiser sees the trials in proposal order with the interrupted attempts left out.
//
// An evaluator that throws (a NaN loss, CUDA out of memory, any exception) makes its trial
// failed with the exception's text; the configuration is excluded from later proposals and the
// study goes on.
//
// Multi-fidelity (study_options::fidelities): new configurations run at rung 0; before new
// proposals, promotions (asynchronous successive halving, see study_options) are enqueued, each
// a trial of the same configuration at the next rung with the provenance origin "promotion"
// and source the trial it promotes. Promotion is a pure function of the complete trials,
// so a resumed study promotes what an uninterrupted one does.
//
// Example:
//   using S = space::autopeft_space<2>;
//   auto store = search::study_store::open("study.db");
//   auto rec = store.create_study("wn_pos", config, {{.name = "accuracy"}, {.name = "params_pct", .minimize = true}});
//   search::study_options o;  o.reference_point = {0.25, 26.0};  o.max_trials = 30;
//   search::study_driver<S>(o).run(store, rec, evaluator, [](const search::study_event& e) { ... });
//   // the same search with qNParEGO:
//   search::study_driver<S, mobo::gp<mobo::matern52_kernel>, mobo::acquisition_of<mobo::qnparego>>(o);
#include <autopeft/error.hpp>
#include <autopeft/mobo/acquisition/acquisition_of.hpp>
#include <autopeft/mobo/acquisition/qnehvi.hpp>
#include <autopeft/mobo/ask_tell.hpp>
#include <autopeft/mobo/kernel/matern_kernel.hpp>
#include <autopeft/mobo/model/gp.hpp>
#include <autopeft/mobo/optimizer/pareto_local_search.hpp>
#include <autopeft/mobo/pareto/hypervolume.hpp>
#include <autopeft/search/concepts.hpp>
#include <autopeft/search/study/evaluation.hpp>
#include <autopeft/search/store/new_trial.hpp>
#include <autopeft/search/study/pareto_trials.hpp>
#include <autopeft/search/study/run_trial.hpp>
#include <autopeft/search/study/study_event.hpp>
#include <autopeft/search/study/study_options.hpp>
#include <autopeft/search/store/study_store.hpp>
#include <autopeft/space/sample_cost_stratified.hpp>
#include <autopeft/space/sample_sobol.hpp>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <exception>
#include <map>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace autopeft::search {

/// What run() leaves behind, counted over the whole study (earlier runs included).
struct study_summary {
  std::int64_t complete = 0, failed = 0, interrupted = 0;
  std::int64_t requeued = 0;  ///< by this run, after an interruption
  double hypervolume = 0;     ///< of the complete trials, with study_options::reference_point
  bool budget_exhausted = false;  ///< max_trials reached (rather than the time budget)
  double seconds = 0;         ///< this run
};

namespace detail {

/// The budget-wise view of a study's trials: which count as finished, which were re-run.
struct study_census {
  std::vector<trial_record> trials;
  std::unordered_set<std::int64_t> retried;  ///< interrupted attempts that have a copy
  std::int64_t finished = 0, complete = 0, failed = 0, interrupted = 0, proposed = 0, initial_proposed = 0;
  double spent = 0;  ///< summed fidelity cost of the finished trials (1 for one without fidelity)

  /// The trials as an uninterrupted run would hold them: interrupted attempts left out, and each
  /// re-run in the place of the proposal it repeats. What the optimiser sees, so that a resumed
  /// study proposes exactly what an uninterrupted one with the same seed proposes.
  [[nodiscard]] std::vector<const trial_record*> in_proposal_order() const {
    std::unordered_map<std::int64_t, std::int64_t> parent;
    for (const auto& t : trials)
      if (t.retry_of) parent[t.number] = *t.retry_of;
    auto root = [&](std::int64_t n) {
      for (auto it = parent.find(n); it != parent.end(); it = parent.find(n)) n = it->second;
      return n;
    };
    std::vector<std::pair<std::int64_t, const trial_record*>> keyed;
    for (const auto& t : trials)
      if (!retried.contains(t.number)) keyed.emplace_back(root(t.number), &t);
    std::stable_sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<const trial_record*> out;
    for (const auto& [k, t] : keyed) out.push_back(t);
    return out;
  }

  explicit study_census(std::vector<trial_record> all) : trials(std::move(all)) {
    for (const auto& t : trials)
      if (t.retry_of) retried.insert(*t.retry_of);
    for (const auto& t : trials) {
      if (!t.retry_of) {
        ++proposed;
        if (t.provenance.origin == "initial") ++initial_proposed;
      }
      if (retried.contains(t.number)) {
        ++interrupted;
        continue;
      }
      if (t.state == trial_state::complete) ++complete, ++finished;
      if (t.state == trial_state::failed || t.state == trial_state::pruned) ++failed, ++finished;
      if (is_finished(t.state)) spent += t.fidelity ? t.fidelity->cost : 1.0;
    }
  }
};

}  // namespace detail

template <class Space, class Surrogate = mobo::gp<mobo::matern52_kernel>,
          class Acquisition = mobo::acquisition_of<mobo::qnehvi>, class Optimizer = mobo::pareto_local_search>
class study_driver {
 public:
  using space_type = Space;
  using optimizer_type = mobo::ask_tell<Surrogate, Acquisition, Optimizer>;

  explicit study_driver(study_options options, Acquisition acquisition = {}, Optimizer optimizer = {})
      : o_(std::move(options)), acquisition_(std::move(acquisition)), optimizer_(std::move(optimizer)) {
    for (std::size_t i = 0; i < o_.initial_configurations.size(); ++i)
      if (const auto& c = o_.initial_configurations[i]; c.x.size() != Space::num_components || !Space::check(c).empty())
        throw error("study_options: field 'initial_configurations[" + std::to_string(i) + "]' is not a configuration of the space (" +
                    (c.x.size() != Space::num_components ? std::to_string(c.x.size()) + " components, the space has " +
                                                               std::to_string(Space::num_components)
                                                         : Space::check(c)) +
                    "): build it with Space::from_json or search::hand_designed_in_space");
  }

  [[nodiscard]] const study_options& options() const noexcept { return o_; }

  /// Runs (or resumes) `study` until the budget is spent. Single process: every trial left
  /// running in the store is taken as interrupted.
  template <class Store, class Evaluator>
  study_summary run(Store& store, const study_record& study, Evaluator& evaluator,
                    const study_callback& callback = {}) const {
    static_assert(detail::check_study_storage<Store>());
    static_assert(detail::check_trial_evaluator<Evaluator>());
    o_.validate(study.objectives.size());
    using clock = std::chrono::steady_clock;
    const auto t0 = clock::now();
    auto elapsed = [&] { return std::chrono::duration<double>(clock::now() - t0).count(); };
    auto emit = [&](study_event e) {
      if (!callback) return;
      e.budget = o_.max_trials;
      e.elapsed_seconds = elapsed();
      callback(e);
    };

    study_summary summary;
    summary.requeued = static_cast<std::int64_t>(store.requeue_running(study).size());
    if (summary.requeued > 0) emit({.what = study_event::kind::resumed, .requeued = summary.requeued});

    std::int64_t trials_this_run = 0;
    double trial_seconds_this_run = 0;
    for (;;) {
      detail::study_census census(store.trials(study));
      if (census.finished >= o_.max_trials || (o_.max_cost > 0 && census.spent >= o_.max_cost - 1e-9)) {
        summary.budget_exhausted = true;
        break;
      }
      if (o_.time_budget_seconds > 0 && elapsed() >= o_.time_budget_seconds) break;

      if (auto next = store.claim(study)) {
        const std::string origin = next->retry_of                   ? std::string("retry")
                                   : next->provenance.origin.empty() ? std::string("queued")
                                                                      : next->provenance.origin;
        const double eta = trials_this_run > 0 ? trial_seconds_this_run / static_cast<double>(trials_this_run) *
                                                     static_cast<double>(o_.max_trials - census.finished)
                                               : 0.0;
        emit({.what = study_event::kind::trial_started, .trial = next->number, .origin = origin,
              .finished = census.finished, .eta_seconds = eta});
        const auto ts = clock::now();
        study_event done;
        if (auto why = infeasible_reason(*next); !why.empty()) {
          store.prune(study, next->number, "infeasible: " + why);
          done = {.what = study_event::kind::trial_finished, .trial = next->number, .state = trial_state::pruned,
                  .error = "infeasible: " + why};
        } else {
          done = run_trial<Space>(store, study, *next, evaluator);
        }
        done.origin = origin;
        const double secs = std::chrono::duration<double>(clock::now() - ts).count();
        ++trials_this_run;
        trial_seconds_this_run += secs;
        detail::study_census after(store.trials(study));
        done.finished = after.finished;
        done.trial_seconds = secs;
        done.hypervolume = hypervolume_of(study, after.trials);
        done.eta_seconds = trial_seconds_this_run / static_cast<double>(trials_this_run) *
                           static_cast<double>(std::max<std::int64_t>(0, o_.max_trials - after.finished));
        emit(std::move(done));
        continue;
      }

      // Nothing waits: propose. Never more than the budget still allows.
      const auto remaining = o_.max_trials - census.finished;
      if (census.initial_proposed >= o_.initial_trials)
        emit({.what = study_event::kind::proposing, .finished = census.finished});
      const auto origin = enqueue_next(store, study, census, std::min(o_.batch_size, remaining), {});
      emit({.what = study_event::kind::proposed, .origin = origin, .finished = census.finished});
    }

    const detail::study_census end(store.trials(study));
    summary.complete = end.complete;
    summary.failed = end.failed;
    summary.interrupted = end.interrupted;
    summary.hypervolume = hypervolume_of(study, end.trials);
    summary.seconds = elapsed();
    return summary;
  }

  /// For asynchronous workers (one process proposes and owns the store, others evaluate):
  /// enqueues up to `n` new proposals and returns how many it enqueued. The initial design comes
  /// first; then MOBO points conditioned on the running and waiting trials as pending points, so
  /// no worker waits for a batch to finish. Never more than the budget leaves.
  template <class Store>
  std::int64_t enqueue_proposals(Store& store, const study_record& study, std::int64_t n) const {
    static_assert(detail::check_study_storage<Store>());
    o_.validate(study.objectives.size());
    const detail::study_census census(store.trials(study));
    std::int64_t open = 0;
    std::vector<space::configuration> pending;
    for (const auto& t : census.trials)
      if (t.state == trial_state::running || t.state == trial_state::waiting) {
        ++open;
        pending.push_back(configuration_of<Space>(t, "trial " + std::to_string(t.number)));
      }
    n = std::min(n, o_.max_trials - census.finished - open);
    if (n <= 0) return 0;
    const auto before = census.proposed;
    enqueue_next(store, study, census, n, pending);
    return detail::study_census(store.trials(study)).proposed - before;
  }

  /// Trials finished so far, budget-wise (complete or failed; a re-run interruption once).
  template <study_storage Store>
  [[nodiscard]] std::int64_t finished(const Store& store, const study_record& study) const {
    return detail::study_census(store.trials(study)).finished;
  }

  /// Hypervolume of the complete trials with the options' reference point.
  [[nodiscard]] double hypervolume_of(const study_record& study, const std::vector<trial_record>& trials) const {
    return study_hypervolume(study, trials, o_.reference_point);
  }

 private:
  // Enqueues up to n proposals (promotions first in a multi-fidelity study, then the initial
  // design, then MOBO with `pending`); returns their origin, "promotion", "initial" or "mobo".
  template <study_storage Store>
  std::string enqueue_next(Store& store, const study_record& study, const detail::study_census& census, std::int64_t n,
                           const std::vector<space::configuration>& pending) const {
    if (!o_.fidelities.empty()) {
      auto promoted = promotions(study, census, n);
      if (o_.max_cost > 0) {  // never promote past the cost budget (a first promotion always goes)
        double open_cost = census.spent;
        for (const auto& t : census.trials)
          if (t.state == trial_state::waiting || t.state == trial_state::running) open_cost += t.fidelity ? t.fidelity->cost : 1.0;
        std::size_t keep = 0;
        for (; keep < promoted.size(); ++keep) {
          if (keep > 0 && open_cost + promoted[keep].fidelity->cost > o_.max_cost + 1e-9) break;
          open_cost += promoted[keep].fidelity->cost;
        }
        promoted.resize(keep);
      }
      if (!promoted.empty()) {
        auto k = census.proposed;
        for (auto& p : promoted) p.seed = trial_seed(study, k++);
        store.enqueue_all(study, promoted);
        return "promotion";
      }
      // New configurations cost rung 0 each: no more than the cost budget leaves.
      if (o_.max_cost > 0) {
        double open_cost = 0;
        for (const auto& t : census.trials)
          if (t.state == trial_state::waiting || t.state == trial_state::running) open_cost += t.fidelity ? t.fidelity->cost : 1.0;
        const double left = o_.max_cost - census.spent - open_cost;
        n = std::min<std::int64_t>(n, std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(left / o_.fidelities[0].cost))));
      }
    }
    std::vector<space::configuration> proposals;
    std::string origin = "initial";
    if (census.initial_proposed < o_.initial_trials) proposals = initial_design(census, n);
    if (proposals.empty()) {
      origin = "mobo";
      proposals = propose(study, census, n, pending);
    }
    if (proposals.empty())
      throw error("study_driver: study \"" + study.name + "\": the search space has no configuration left to propose");
    // One transaction: a kill between two enqueues would leave half a batch, and the run that
    // resumes would then propose from another state than an uninterrupted run does.
    auto k = census.proposed;
    // The design's first `anchors` points are the initial_configurations (kept ones).
    const auto anchors = origin == "initial" && o_.initial_configurations_at_top_rung && !o_.fidelities.empty()
                             ? kept_initial_configurations()
                             : std::size_t{0};
    auto position = static_cast<std::size_t>(census.initial_proposed);
    std::vector<new_trial> batch;
    for (const auto& c : proposals) {
      std::optional<trial_fidelity> fidelity;
      if (!o_.fidelities.empty()) fidelity = o_.rung(position++ < anchors ? o_.fidelities.size() - 1 : 0);
      batch.push_back({Space::to_json(c), trial_seed(study, k++), std::move(fidelity), {.origin = origin}});
    }
    store.enqueue_all(study, batch);
    return origin;
  }

  // Up to n promotions, top rung first: at rung r, of the configurations complete there, the
  // best floor(complete / eta) go up (minus those already above r). Best: the lowest
  // non-dominated rank, then the largest exclusive hypervolume contribution within that front
  // (reference point of the options), then the lowest trial number.
  std::vector<new_trial> promotions(const study_record& study, const detail::study_census& census,
                                                 std::int64_t n) const {
    std::vector<new_trial> out;
    const auto rungs = static_cast<std::int64_t>(o_.fidelities.size());
    std::map<std::string, std::int64_t> highest;  // configuration -> highest rung with any trial
    for (const auto& t : census.trials)
      if (t.fidelity && !census.retried.contains(t.number)) {
        auto [it, fresh] = highest.emplace(configuration_key(t.params), t.fidelity->level);
        if (!fresh) it->second = std::max(it->second, t.fidelity->level);
      }
    for (auto r = rungs - 2; r >= 0 && static_cast<std::int64_t>(out.size()) < n; --r) {
      std::vector<const trial_record*> done;  // complete at rung r, one per configuration, by number
      std::set<std::string> seen;
      for (const auto& t : census.trials)
        if (t.state == trial_state::complete && t.objectives && t.fidelity && t.fidelity->level == r &&
            seen.insert(configuration_key(t.params)).second)
          done.push_back(&t);
      std::int64_t promoted = 0;
      for (const auto* t : done) promoted += highest.at(configuration_key(t->params)) > r;
      auto allowed = static_cast<std::int64_t>(done.size()) / o_.eta - promoted;
      if (allowed <= 0) continue;
      for (const auto* t : ranked(study, done)) {
        if (allowed <= 0 || static_cast<std::int64_t>(out.size()) >= n) break;
        if (highest.at(configuration_key(t->params)) > r) continue;
        nlohmann::json params = nlohmann::json::object();
        for (const auto& [k, v] : t->params.items())
          if (k.empty() || k[0] != '_') params[k] = v;
        out.push_back({std::move(params), 0, o_.rung(static_cast<std::size_t>(r + 1)), {.origin = "promotion", .source = t->number}});
        highest[configuration_key(t->params)] = r + 1;
        --allowed;
      }
    }
    return out;
  }

  // `trials` (complete) best first: those inside the reference box (they can add hypervolume)
  // before those outside it; within each group, non-dominated rank, then exclusive hypervolume
  // contribution within the front, then trial number.
  std::vector<const trial_record*> ranked(const study_record& study, const std::vector<const trial_record*>& trials) const {
    const auto m = static_cast<std::int64_t>(study.objectives.size());
    auto y_of = [&](const trial_record& t) {
      std::vector<double> y;
      for (std::size_t i = 0; i < study.objectives.size(); ++i)
        y.push_back(study.objectives[i].minimize ? -(*t.objectives)[i] : (*t.objectives)[i]);
      return y;
    };
    std::vector<double> ref;
    for (std::size_t i = 0; i < study.objectives.size(); ++i)
      ref.push_back(study.objectives[i].minimize ? -o_.reference_point[i] : o_.reference_point[i]);
    const auto ref_t = torch::tensor(ref, torch::kFloat64);
    auto hv = [&](const std::vector<const trial_record*>& ts) {
      if (ts.empty()) return 0.0;
      std::vector<double> y;
      for (const auto* t : ts) {
        const auto v = y_of(*t);
        y.insert(y.end(), v.begin(), v.end());
      }
      return mobo::hypervolume(torch::tensor(y, torch::kFloat64).view({static_cast<std::int64_t>(ts.size()), m}), ref_t);
    };
    std::vector<const trial_record*> inside, outside, out;
    for (const auto* t : trials) {
      const auto y = y_of(*t);
      bool in = true;
      for (std::size_t i = 0; i < y.size(); ++i) in = in && y[i] > ref[i];
      (in ? inside : outside).push_back(t);
    }
    for (auto* group : {&inside, &outside}) {
    std::vector<const trial_record*> left = *group;
    while (!left.empty()) {
      std::vector<double> y;
      for (const auto* t : left) {
        const auto v = y_of(*t);
        y.insert(y.end(), v.begin(), v.end());
      }
      const auto keep =
          mobo::is_non_dominated(torch::tensor(y, torch::kFloat64).view({static_cast<std::int64_t>(left.size()), m})).contiguous();
      std::vector<const trial_record*> front, rest;
      for (std::size_t i = 0; i < left.size(); ++i) (keep[static_cast<std::int64_t>(i)].item<bool>() ? front : rest).push_back(left[i]);
      const double total = hv(front);
      std::vector<std::pair<double, const trial_record*>> scored;
      for (std::size_t i = 0; i < front.size(); ++i) {
        auto others = front;
        others.erase(others.begin() + static_cast<std::ptrdiff_t>(i));
        scored.emplace_back(total - hv(others), front[i]);
      }
      std::stable_sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) {
        if (a.first != b.first) return a.first > b.first;
        return a.second->number < b.second->number;
      });
      for (const auto& [c, t] : scored) out.push_back(t);
      left = std::move(rest);
    }
    }
    return out;
  }

  // Initial-design points not yet enqueued, as many as the budget allows. The design is a pure
  // function of the seed, so a resumed run continues the same sequence.
  std::vector<space::configuration> initial_design(const detail::study_census& census, std::int64_t remaining) const {
    const auto done = census.initial_proposed;
    const auto want = std::min(o_.initial_trials - done, remaining);
    if (want <= 0) return {};
    const auto design = full_initial_design();
    std::vector<space::configuration> out;
    for (auto i = done; i < static_cast<std::int64_t>(design.size()) && static_cast<std::int64_t>(out.size()) < want; ++i)
      out.push_back(design[static_cast<std::size_t>(i)]);
    return out;
  }

  // How many of the initial_configurations open the design (feasible, distinct, within
  // initial_trials): the first points of full_initial_design().
  std::size_t kept_initial_configurations() const {
    std::set<std::uint64_t> seen;
    std::size_t kept = 0;
    for (const auto& c : o_.initial_configurations) {
      const auto canon = Space::canonical(c);
      if (kept < static_cast<std::size_t>(o_.initial_trials) && feasible(canon) && seen.insert(Space::hash(canon)).second) ++kept;
    }
    return kept;
  }

  // initial_trials distinct valid configurations (fewer if the space is smaller).
  std::vector<space::configuration> full_initial_design() const {
    const auto n = static_cast<std::size_t>(o_.initial_trials);
    std::vector<space::configuration> out;
    std::set<std::uint64_t> seen;
    auto keep = [&](const space::configuration& c) {
      if (out.size() < n && feasible(c) && seen.insert(Space::hash(c)).second) out.push_back(c);
    };
    for (const auto& c : o_.initial_configurations) keep(Space::canonical(c));
    if (o_.design == initial_design_kind::cost_stratified) {
      for (const auto& c : space::sample_cost_stratified<Space>(n + o_.initial_configurations.size(), o_.seed, o_.cost, [this](const space::configuration& c) {
             return feasible(c);
           }))
        keep(c);
    } else if (o_.design == initial_design_kind::sobol) {
      for (const auto& c : space::sample_sobol<Space>(16 * n, o_.seed)) keep(c);
    } else {
      std::mt19937_64 rng(o_.seed);
      for (std::size_t t = 0; t < 100 * n && out.size() < n; ++t) keep(Space::canonical(Space::sample(rng)));
    }
    return out;
  }

  std::vector<space::configuration> propose(const study_record& study, const detail::study_census& census, std::int64_t q,
                                            const std::vector<space::configuration>& pending) const {
    const auto d = static_cast<std::int64_t>(Space::num_components);
    const auto m = static_cast<std::int64_t>(study.objectives.size());
    std::vector<double> ref;
    for (std::size_t i = 0; i < study.objectives.size(); ++i)
      ref.push_back(study.objectives[i].minimize ? -o_.reference_point[i] : o_.reference_point[i]);
    mobo::ask_tell_options ao;
    ao.initial_points = 1;
    ao.mc_samples = o_.mc_samples;
    ao.local_search_restarts = o_.local_search_restarts;
    ao.fit_restarts = o_.fit_restarts;
    // A different stream per proposal step, the same one when a resumed run repeats the step.
    ao.seed = o_.seed * 1000003ULL + static_cast<std::uint64_t>(census.proposed);
    const mobo::discrete_space ds{
        [this](const torch::Tensor& x) {
          const torch::Tensor xc = x.contiguous();
          std::vector<double> u(xc.data_ptr<double>(), xc.data_ptr<double>() + xc.numel());
          std::vector<torch::Tensor> out;
          for (const auto& n : Space::neighbours(Space::decode(u)))
            if (feasible(n)) out.push_back(torch::tensor(Space::encode(n), torch::kFloat64));
          return out;
        },
        [this](std::mt19937_64& rng) {
          auto c = Space::sample(rng);
          for (int t = 0; t < 1000 && !feasible(c); ++t) c = Space::sample(rng);
          return torch::tensor(Space::encode(c), torch::kFloat64);
        }};
    const auto bounds = torch::stack({torch::zeros({d}), torch::ones({d})}).to(torch::kFloat64);
    optimizer_type opt(bounds, m, torch::tensor(ref, torch::kFloat64), ds, ao, acquisition_, optimizer_);
    // What the surrogate learns from (study_options::surrogate_min_points): by default each
    // configuration once, at the highest rung it completed, in the place of its first proposal;
    // failed configurations are excluded. With surrogate_min_points > 0, one rung, as BOHB does
    // (Falkner et al., 2018): the highest with at least that many complete configurations (rung
    // 0 until then); configurations seen only at other rungs are then excluded too.
    const auto rung_of = [](const trial_record& t) { return t.fidelity ? t.fidelity->level : std::int64_t{0}; };
    std::int64_t fit_rung = -1;  // -1: each configuration at its highest rung
    if (o_.surrogate_min_points > 0) {
      std::map<std::int64_t, std::set<std::string>> complete_at;
      for (const trial_record* tp : census.in_proposal_order())
        if (tp->state == trial_state::complete && tp->objectives) complete_at[rung_of(*tp)].insert(configuration_key(tp->params));
      fit_rung = 0;
      for (const auto& [rung, keys] : complete_at)
        if (static_cast<std::int64_t>(keys.size()) >= o_.surrogate_min_points) fit_rung = std::max(fit_rung, rung);
    }
    std::vector<torch::Tensor> xs, ys, failed;
    std::map<std::string, std::pair<std::size_t, std::int64_t>> row_of;  // configuration -> (row, rung)
    std::set<std::string> excluded;
    auto encoded = [](const trial_record& t) {
      return torch::tensor(Space::encode(configuration_of<Space>(t, "trial " + std::to_string(t.number))), torch::kFloat64);
    };
    for (const trial_record* tp : census.in_proposal_order()) {
      const trial_record& t = *tp;
      const auto key = configuration_key(t.params);
      const bool complete = t.state == trial_state::complete && t.objectives.has_value();
      if (complete && (fit_rung < 0 || rung_of(t) == fit_rung)) {
        std::vector<double> y;
        for (std::size_t i = 0; i < t.objectives->size(); ++i)
          y.push_back(study.objectives[i].minimize ? -(*t.objectives)[i] : (*t.objectives)[i]);
        auto [it, fresh] = row_of.emplace(key, std::pair{xs.size(), rung_of(t)});
        if (fresh) {
          xs.push_back(encoded(t));
          ys.push_back(torch::tensor(y, torch::kFloat64));
        } else if (rung_of(t) >= it->second.second) {
          ys[it->second.first] = torch::tensor(y, torch::kFloat64);
          it->second.second = rung_of(t);
        }
      } else if (fit_rung >= 0 || t.state == trial_state::failed || t.state == trial_state::pruned) {
        excluded.insert(key);
      }
    }
    std::set<std::string> listed;
    for (const trial_record* tp : census.in_proposal_order()) {
      const auto key = configuration_key(tp->params);
      if (!row_of.contains(key) && excluded.contains(key) && listed.insert(key).second) failed.push_back(encoded(*tp));
    }
    if (!xs.empty()) opt.tell(torch::stack(xs), torch::stack(ys));
    if (!failed.empty()) opt.exclude(torch::stack(failed));
    torch::Tensor X_pending;
    if (!pending.empty()) {
      std::vector<torch::Tensor> rows;
      for (const auto& c : pending) rows.push_back(torch::tensor(Space::encode(c), torch::kFloat64));
      X_pending = torch::stack(rows);
    }
    const torch::Tensor X = opt.ask(q, X_pending).contiguous();
    std::vector<space::configuration> out;
    std::set<std::uint64_t> seen;
    for (std::int64_t i = 0; i < X.size(0); ++i) {
      const torch::Tensor row = X[i].contiguous();
      auto c = Space::canonical(Space::decode(std::vector<double>(row.data_ptr<double>(), row.data_ptr<double>() + d)));
      if (Space::valid(c) && seen.insert(Space::hash(c)).second) out.push_back(std::move(c));
    }
    return out;
  }

  [[nodiscard]] bool feasible(const space::configuration& c) const { return !o_.infeasible || o_.infeasible(c).empty(); }

  [[nodiscard]] std::string infeasible_reason(const trial_record& t) const {
    if (!o_.infeasible) return {};
    try {
      return o_.infeasible(configuration_of<Space>(t, "trial " + std::to_string(t.number)));
    } catch (const std::exception&) {
      return {};  // run_trial reports a bad configuration as the trial's failure
    }
  }

  static std::uint64_t trial_seed(const study_record& study, std::int64_t k) {
    std::uint64_t z = study.seed + 0x9e3779b97f4a7c15ULL * static_cast<std::uint64_t>(k + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return (z ^ (z >> 31)) >> 1;  // fits the store's signed 64-bit column
  }

  study_options o_;
  Acquisition acquisition_;
  Optimizer optimizer_;
};

}  // namespace autopeft::search
