// baseline_verdicts: each branch of the rule on hand-built fronts, and the comparison made on
// re-trained values only (a case that a comparison of search-time metrics would get wrong).
#include <autopeft/search/report/baseline_verdicts.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <optional>

namespace {

using autopeft::search::report_data;

report_data::trial_row complete(int n, double metric, double pct) {
  return {.number = n, .state = report_data::trial_state::complete, .metric = metric, .pct_params = pct};
}

// A front of four trials: search-time metric, % parameters and re-trained mean per trial.
report_data verdict_study() {
  report_data r;
  r.trials = {complete(0, 0.60, 0.01), complete(1, 0.66, 0.05), complete(2, 0.70, 0.10), complete(3, 0.76, 0.20)};
  r.pareto = {{.trial = 0, .retrained_mean = 0.58, .retrained_std = 0.01, .retrained_runs = 3},
              {.trial = 1, .retrained_mean = 0.69, .retrained_std = 0.01, .retrained_runs = 3},
              {.trial = 2, .retrained_mean = 0.70, .retrained_std = 0.01, .retrained_runs = 3},
              {.trial = 3, .retrained_mean = 0.75, .retrained_std = 0.02, .retrained_runs = 3}};
  return r;
}

autopeft::search::baseline_verdict verdict_of(report_data r, const report_data::baseline_row& b) {
  r.baselines = {b};
  const auto v = autopeft::search::baseline_verdicts(r);
  REQUIRE(v.size() == 1);
  CHECK(v[0].name == b.name);
  return v[0];
}

}  // namespace

TEST_CASE("baseline_verdicts: dominated by the cheapest re-trained trial that is as good and as small",
          "[search][report][verdicts]") {
  const auto r = verdict_study();
  // Trials 1, 2 and 3 all dominate it; trial 1 is the cheapest.
  auto v = verdict_of(r, {.name = "LoRA", .metric = 0.68, .pct_params = 0.27, .metric_std = 0.01, .lr = 5e-4, .runs = 5});
  CHECK(v.compared);
  CHECK(v.dominated);
  CHECK(v.by_trial == 1);
  CHECK(v.sentence == "dominated by trial 1: re-trained 0.69 \xC2\xB1 0.01 at 0.05% params, against 0.68 at 0.27%");
  // Equal on one objective and better on the other still dominates ...
  v = verdict_of(r, {.name = "equal metric", .metric = 0.70, .pct_params = 0.15});
  CHECK(v.by_trial == 2);
  v = verdict_of(r, {.name = "equal size", .metric = 0.695, .pct_params = 0.10});
  CHECK(v.by_trial == 2);
  // ... equal on both does not.
  v = verdict_of(r, {.name = "a twin", .metric = 0.70, .pct_params = 0.10});
  CHECK(v.compared);
  CHECK_FALSE(v.dominated);
  CHECK_FALSE(v.by_trial);
  CHECK(v.best_within_budget == 2);
  // ... but it is matched: the weak form, no more parameters and a mean no lower.
  CHECK(v.matched_by == 2);
  CHECK(v.sentence == "matched by trial 2: re-trained 0.7 at 0.1% params, equal to 0.7 at 0.1%");
  // A baseline that is merely as small as a worse trial is neither.
  v = verdict_of(r, {.name = "stronger twin", .metric = 0.71, .pct_params = 0.10});
  CHECK_FALSE(v.dominated);
  CHECK_FALSE(v.matched_by);
}

TEST_CASE("baseline_verdicts: not dominated, with the best found within the baseline's budget or none",
          "[search][report][verdicts]") {
  const auto r = verdict_study();
  auto v = verdict_of(r, {.name = "strong", .metric = 0.80, .pct_params = 0.12});
  CHECK(v.compared);
  CHECK_FALSE(v.dominated);
  CHECK(v.best_within_budget == 2);  // trial 3 is better but larger than the baseline
  CHECK(v.sentence == "not dominated: best found within its budget (<= 0.12% params) is trial 2 at 0.7 (re-trained), against 0.8");

  v = verdict_of(r, {.name = "tiny", .metric = 0.50, .pct_params = 0.005});
  CHECK(v.compared);
  CHECK_FALSE(v.dominated);
  CHECK_FALSE(v.best_within_budget);
  CHECK(v.sentence == "not dominated: no configuration found at or below 0.005% params");
}

TEST_CASE("baseline_verdicts: only re-trained values count", "[search][report][verdicts]") {
  // Trial 1 looked better than the baseline during the search (0.66 > 0.65) but re-trains to
  // 0.64; trial 2 looked worse (0.62) but re-trains to 0.67. Compared by search-time metrics,
  // trial 1 (the cheaper) would dominate.
  report_data r;
  r.trials = {complete(1, 0.66, 0.05), complete(2, 0.62, 0.10)};
  r.pareto = {{.trial = 1, .retrained_mean = 0.64, .retrained_runs = 3}, {.trial = 2, .retrained_mean = 0.67, .retrained_runs = 3}};
  const report_data::baseline_row b{.name = "LoRA", .metric = 0.65, .pct_params = 0.27};
  auto v = verdict_of(r, b);
  CHECK(v.dominated);
  CHECK(v.by_trial == 2);
  // Without trial 2, nothing dominates it, whatever trial 1's search-time metric says.
  r.pareto.pop_back();
  v = verdict_of(r, b);
  CHECK_FALSE(v.dominated);
  CHECK(v.best_within_budget == 1);

  // A Pareto trial without re-training results is not compared, and the sentence says so.
  r.trials.push_back(complete(3, 0.90, 0.01));
  r.pareto.push_back({.trial = 3});
  v = verdict_of(r, b);
  CHECK_FALSE(v.dominated);
  CHECK(v.best_within_budget == 1);
  CHECK(v.sentence.ends_with("; 1 Pareto trial within its budget not re-trained yet"));

  // None re-trained: nothing is compared.
  for (auto& p : r.pareto) p.retrained_mean.reset();
  v = verdict_of(r, b);
  CHECK_FALSE(v.compared);
  CHECK_FALSE(v.dominated);
  CHECK(v.sentence == "not compared: the Pareto set has not been re-trained");
  // A baseline whose final runs have not finished is not compared either.
  v = verdict_of(verdict_study(), {.name = "pending", .metric = std::nan(""), .pct_params = 0.27, .runs = 0});
  CHECK_FALSE(v.compared);
  CHECK(v.sentence == "not compared: its final runs have not finished");
}

