// The study driver's contract: the budget is spent on an initial design and then MOBO batches;
// every result is in the store; a NaN loss or an exception fails its trial and the study goes
// on, never proposing that configuration again; a run that finds trials left running re-queues
// them and keeps every finished trial; the PEFT evaluator trains on one resident, frozen
// backbone.
#include <autopeft/data/wordpiece_trainer.hpp>
#include <autopeft/search.hpp>
#include <autopeft/space/spaces/autopeft_lora_space.hpp>
#include <autopeft/space/spaces/autopeft_space.hpp>
#include <autopeft/train.hpp>

#include "../../support/scratch_dir.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using S = autopeft::space::autopeft_space<2>;
namespace search = autopeft::search;

// A smooth two-objective landscape over AutoPEFT's space: the metric grows with the log-size
// of each module, with diminishing returns; the cost is the modules' share of a 2-layer,
// hidden-16 model. Costs nothing to evaluate.
struct analytic_evaluator {
  int calls = 0;
  search::evaluation evaluate(const autopeft::space::configuration& c, std::uint64_t) {
    ++calls;
    const auto j = S::to_json(c);
    double layers = 0;
    for (bool on : j["layers"].get<std::vector<bool>>()) layers += on ? 1 : 0;
    const double sa = j["sa"].get<double>(), pa = j["pa"].get<double>(), pt = j["pt"].get<double>();
    const double metric = 1 - std::exp(-0.3 * layers * (std::log1p(sa) + 0.8 * std::log1p(pa) + 0.2 * std::log1p(pt)));
    const double pct = 100.0 * layers * (2 * 16 * sa + 2 * 16 * pa + 2 * 16 * pt) / 50000.0;
    return {.objectives = {metric, pct}, .extra = {{"layers", layers}}};
  }
};

std::vector<search::study_objective> peft_objectives() {
  return {{.name = "accuracy"}, {.name = "params_pct", .minimize = true}};
}

search::study_options small_study(std::int64_t trials) {
  search::study_options o;
  o.initial_trials = 6;
  o.batch_size = 3;
  o.max_trials = trials;
  o.reference_point = {0.0, 100.0};
  o.mc_samples = 32;
  o.local_search_restarts = 4;
  o.seed = 3;
  return o;
}

// The analytic landscape with m - 2 more costs to minimise (m = 3 or 4): a "step time" that
// grows with the prefix and the layers, a "memory" that grows with the parallel adapter; both
// conflict with the metric, so the Pareto set in m dimensions is larger than in two.
struct analytic_m_evaluator {
  std::size_t m = 3;
  search::evaluation evaluate(const autopeft::space::configuration& c, std::uint64_t seed) {
    auto r = analytic_evaluator{}.evaluate(c, seed);
    const auto j = S::to_json(c);
    const double layers = r.extra["layers"].get<double>();
    r.objectives.push_back(1 + layers * (0.5 * j["pt"].get<double>() + 0.05 * j["sa"].get<double>()));
    if (m > 3) r.objectives.push_back(10 + layers * j["pa"].get<double>());
    return r;
  }
};

// y dominates z for the study's senses: no worse in every objective, better in one.
bool dominates(const std::vector<search::study_objective>& os, const std::vector<double>& y, const std::vector<double>& z) {
  bool better = false;
  for (std::size_t i = 0; i < os.size(); ++i) {
    const double a = os[i].minimize ? -y[i] : y[i], b = os[i].minimize ? -z[i] : z[i];
    if (a < b) return false;
    better = better || a > b;
  }
  return better;
}

// The hypervolume of `points` above `ref` (maximisation, any m) by brute force: the grid of every
// point's coordinates, each cell counted when some point dominates its upper corner.
double brute_force_hypervolume(const std::vector<std::vector<double>>& points, const std::vector<double>& ref) {
  const std::size_t m = ref.size();
  std::vector<std::vector<double>> axes(m);
  for (std::size_t k = 0; k < m; ++k) {
    axes[k].push_back(ref[k]);
    for (const auto& p : points)
      if (p[k] > ref[k]) axes[k].push_back(p[k]);
    std::sort(axes[k].begin(), axes[k].end());
    axes[k].erase(std::unique(axes[k].begin(), axes[k].end()), axes[k].end());
  }
  double volume = 0;
  std::vector<std::size_t> at(m, 1);
  for (;;) {
    bool empty = false;
    for (std::size_t k = 0; k < m; ++k) empty = empty || at[k] >= axes[k].size();
    if (!empty) {
      bool covered = false;
      for (const auto& p : points) {
        bool all = true;
        for (std::size_t k = 0; k < m; ++k) all = all && p[k] >= axes[k][at[k]];
        covered = covered || all;
      }
      if (covered) {
        double cell = 1;
        for (std::size_t k = 0; k < m; ++k) cell *= axes[k][at[k]] - axes[k][at[k] - 1];
        volume += cell;
      }
    }
    std::size_t k = 0;
    for (; k < m; ++k) {
      if (++at[k] < axes[k].size()) break;
      at[k] = 1;
    }
    if (k == m) return volume;
  }
}

std::set<std::uint64_t> configuration_hashes(const std::vector<search::trial_record>& trials) {
  std::set<std::uint64_t> out;
  for (const auto& t : trials)
    if (!t.retry_of) out.insert(S::hash(search::configuration_of<S>(t, "test")));
  return out;
}

}  // namespace

TEST_CASE("study driver: an initial design, then MOBO batches, until the budget; all in the store", "[search][study]") {
  autopeft::testing::scratch_dir dir("study-driver");
  auto store = search::study_store::open(dir / "s.db");
  const auto study = store.create_study("analytic", {{"kind", "test"}}, peft_objectives(), 11);
  analytic_evaluator f;
  std::vector<search::study_event> events;
  const search::study_driver<S> driver(small_study(15));
  const auto summary = driver.run(store, study, f, [&](const search::study_event& e) { events.push_back(e); });

  CHECK(summary.complete == 15);
  CHECK(summary.failed == 0);
  CHECK(summary.budget_exhausted);
  CHECK(f.calls == 15);
  const auto trials = store.trials(study);
  REQUIRE(trials.size() == 15);
  for (std::size_t i = 0; i < trials.size(); ++i) {
    CHECK(trials[i].state == search::trial_state::complete);
    CHECK(trials[i].provenance.origin == (i < 6 ? "initial" : "mobo"));
    CHECK(trials[i].extra.contains("layers"));
  }
  CHECK(configuration_hashes(trials).size() == 15);  // nothing evaluated twice

  // The hypervolume the driver reports is the store's, and the MOBO batches added to it.
  const auto initial = std::vector<search::trial_record>(trials.begin(), trials.begin() + 6);
  CHECK(summary.hypervolume == Approx(search::study_hypervolume(study, trials, {0.0, 100.0})));
  CHECK(summary.hypervolume >= search::study_hypervolume(study, initial, {0.0, 100.0}));

  int finished = 0, proposing = 0;
  for (const auto& e : events) {
    if (e.what == search::study_event::kind::trial_finished) {
      ++finished;
      CHECK(e.finished == finished);
      CHECK(e.budget == 15);
    }
    if (e.what == search::study_event::kind::proposing) ++proposing;
  }
  CHECK(finished == 15);
  CHECK(proposing == 3);  // 9 MOBO trials in batches of 3

  // The Pareto set: complete, mutually non-dominated, and dominating every other trial.
  const auto front = search::pareto_trials(study, trials);
  REQUIRE_FALSE(front.empty());
  for (const auto& t : trials) {
    bool on_front = false, dominated = false;
    for (const auto& p : front) {
      on_front = on_front || p.number == t.number;
      const auto &a = *p.objectives, &b = *t.objectives;
      dominated = dominated || (a[0] >= b[0] && a[1] <= b[1] && (a[0] > b[0] || a[1] < b[1]));
    }
    CHECK((on_front || dominated));
    if (on_front) CHECK_FALSE(dominated);
  }
  // A second run on a spent budget evaluates nothing.
  CHECK(driver.run(store, study, f).complete == 15);
  CHECK(f.calls == 15);
}

TEST_CASE("study driver: a study with 3 or 4 objectives runs, resumes, and its Pareto set and hypervolume hold in m dimensions",
          "[search][study][objectives]") {
  const std::size_t m = GENERATE(3, 4);
  CAPTURE(m);
  autopeft::testing::scratch_dir dir("study-driver-m");
  auto store = search::study_store::open(dir / "s.db");
  auto objectives = peft_objectives();
  objectives.push_back(search::objective_of(search::extra_objective::step_ms));
  if (m > 3) objectives.push_back(search::objective_of(search::extra_objective::peak_memory_mb));
  const auto study = store.create_study("analytic", {{"kind", "test"}}, objectives, 7);
  REQUIRE((store.load_study("analytic").objectives == objectives));
  analytic_m_evaluator f{m};
  auto o = small_study(8);
  o.reference_point = {0.0, 100.0, 50.0, 1000.0};
  o.reference_point.resize(m);
  CHECK_THROWS_WITH(search::study_driver<S>([&] {
                      auto bad = o;
                      bad.reference_point.resize(2);
                      return bad;
                    }()).run(store, study, f),
                    Catch::Contains("reference_point") && Catch::Contains(std::to_string(m) + " objectives"));
  CHECK(search::study_driver<S>(o).run(store, study, f).complete == 8);  // 6 initial, then a MOBO batch
  o.max_trials = 11;  // resume with a larger budget: the optimiser is rebuilt from the store
  const auto summary = search::study_driver<S>(o).run(store, study, f);
  CHECK(summary.complete == 11);
  const auto trials = store.trials(study);
  REQUIRE(trials.size() == 11);
  CHECK(configuration_hashes(trials).size() == 11);
  std::vector<std::vector<double>> y;  // maximisation form, for the oracle
  for (const auto& t : trials) {
    REQUIRE(t.objectives);
    REQUIRE(t.objectives->size() == m);
    CHECK(*t.objectives == f.evaluate(search::configuration_of<S>(t, "test"), 0).objectives);
    std::vector<double> row;
    for (std::size_t i = 0; i < m; ++i) row.push_back(objectives[i].minimize ? -(*t.objectives)[i] : (*t.objectives)[i]);
    y.push_back(row);
  }
  std::vector<double> ref;
  for (std::size_t i = 0; i < m; ++i) ref.push_back(objectives[i].minimize ? -o.reference_point[i] : o.reference_point[i]);
  CHECK(summary.hypervolume == Approx(brute_force_hypervolume(y, ref)).epsilon(1e-9));
  CHECK(summary.hypervolume > 0);

  // The Pareto set in m dimensions: mutually non-dominated, and dominating every other trial.
  const auto front = search::pareto_trials(study, trials);
  REQUIRE_FALSE(front.empty());
  for (const auto& t : trials) {
    bool on_front = false, dominated = false;
    for (const auto& p : front) {
      on_front = on_front || p.number == t.number;
      dominated = dominated || dominates(objectives, *p.objectives, *t.objectives);
    }
    CHECK((on_front || dominated));
    if (on_front) CHECK_FALSE(dominated);
  }

  // The report: the extra objectives in the trial table; the Pareto rows are the study's (all
  // objectives); the plot's step line and the hypervolume curve are in the metric-vs-params plane.
  const auto data = search::study_report_data(store, study, {.reference = {{0.0, 100.0}}});
  REQUIRE(data.extra_objective_names.size() == m - 2);
  CHECK(data.extra_objective_names[0] == "step_ms");
  REQUIRE(data.trials.size() == 11);
  for (std::size_t i = 0; i < trials.size(); ++i)
    CHECK(data.trials[i].extra_objectives == std::vector<double>(trials[i].objectives->begin() + 2, trials[i].objectives->end()));
  std::set<int> rows, members;
  for (const auto& p : data.pareto) rows.insert(p.trial);
  for (const auto& p : front) members.insert(static_cast<int>(p.number));
  CHECK(rows == members);
  // The step line: one point per distinct (metric, %) not dominated in the plane.
  const auto plane = std::vector<search::study_objective>(objectives.begin(), objectives.begin() + 2);
  std::set<std::pair<double, double>> plane_front;
  for (const auto& t : trials) {
    const std::vector<double> b(t.objectives->begin(), t.objectives->begin() + 2);
    bool dominated = false;
    for (const auto& u : trials) dominated = dominated || dominates(plane, {(*u.objectives)[0], (*u.objectives)[1]}, b);
    if (!dominated) plane_front.insert({b[0], b[1]});
  }
  std::vector<std::vector<double>> y2;
  for (const auto& row : y) y2.push_back({row[0], row[1]});
  REQUIRE(data.hypervolume.size() == 11);
  CHECK(data.hypervolume.back() == Approx(brute_force_hypervolume(y2, {0.0, -100.0})).epsilon(1e-9));
  const auto html = search::render_report(data);
  CHECK_THAT(html, Catch::Contains("<th class=\"extra-objective\">step_ms</th>"));
  CHECK_THAT(html, Catch::Contains("also minimises step_ms"));
  std::size_t points = 0;
  for (auto at = html.find("class=\"pareto-point\""); at != std::string::npos; at = html.find("class=\"pareto-point\"", at + 1)) ++points;
  CHECK(points == plane_front.size());
  CHECK(plane_front.size() < members.size());  // here the extra objectives keep more configurations
}

TEST_CASE("study driver: an injected NaN loss and an injected exception fail their trials and the study finishes",
          "[search][study][faults]") {
  autopeft::testing::scratch_dir dir("study-faults");
  auto store = search::study_store::open(dir / "s.db");
  const auto study = store.create_study("faults", {}, peft_objectives(), 5);
  struct faulty : analytic_evaluator {
    search::evaluation evaluate(const autopeft::space::configuration& c, std::uint64_t seed) {
      auto r = analytic_evaluator::evaluate(c, seed);
      if (calls == 3) throw autopeft::train::non_finite_loss(17, std::nan(""), "trainer (test)");
      if (calls == 5) throw std::runtime_error("injected failure");
      if (calls == 8) r.objectives[0] = std::numeric_limits<double>::infinity();
      return r;
    }
  } f;
  const auto summary = search::study_driver<S>(small_study(12)).run(store, study, f);
  CHECK(summary.complete == 9);
  CHECK(summary.failed == 3);
  const auto trials = store.trials(study);
  REQUIRE(trials.size() == 12);
  CHECK(trials[2].state == search::trial_state::failed);
  CHECK_THAT(trials[2].error.value_or(""), Catch::Contains("NaN") && Catch::Contains("step 17"));
  CHECK(trials[4].state == search::trial_state::failed);
  CHECK(trials[4].error == "injected failure");
  CHECK(trials[7].state == search::trial_state::failed);
  CHECK_THAT(trials[7].error.value_or(""), Catch::Contains("accuracy") && Catch::Contains("inf"));
  CHECK(configuration_hashes(trials).size() == 12);  // failed configurations are not proposed again
}

TEST_CASE("study driver: a run that finds trials left running re-queues them and keeps the finished ones",
          "[search][study][resume]") {
  autopeft::testing::scratch_dir dir("study-resume");
  const auto path = dir / "s.db";
  std::vector<search::trial_record> before;
  {
    auto store = search::study_store::open(path);
    const auto study = store.create_study("resume", {}, peft_objectives(), 9);
    analytic_evaluator f;
    search::study_driver<S>(small_study(7)).run(store, study, f);
    // What a killed process leaves: a proposal that was running and two that still wait.
    const auto running = store.enqueue(study, S::to_json(S::canonical(S::decode(std::vector<double>(5, 0.5)))), 1);
    store.enqueue(study, S::to_json(S::canonical(S::decode(std::vector<double>(5, 1.0)))), 2);
    store.enqueue(study, S::to_json(S::canonical(S::decode(std::vector<double>{0.1, 0.0, 0.0, 1.0, 1.0}))), 3);
    CHECK(store.claim(study)->number == running);
    before = store.trials(study);
  }
  auto store = search::study_store::open(path);
  const auto study = store.load_study("resume");
  analytic_evaluator f;
  std::vector<search::study_event> events;
  const auto summary =
      search::study_driver<S>(small_study(12)).run(store, study, f, [&](const auto& e) { events.push_back(e); });
  CHECK(summary.requeued == 1);
  CHECK(summary.interrupted == 1);
  CHECK(summary.complete == 12);
  REQUIRE_FALSE(events.empty());
  CHECK(events.front().what == search::study_event::kind::resumed);
  const auto after = store.trials(study);
  for (const auto& b : before) {
    const auto& a = after[static_cast<std::size_t>(b.number)];
    if (b.state != search::trial_state::complete) continue;
    CHECK(a.state == search::trial_state::complete);  // finished trials are untouched
    CHECK(a.objectives == b.objectives);
    CHECK(a.finished == b.finished);
    CHECK(a.params == b.params);
  }
  const auto& interrupted = after[7];
  CHECK(interrupted.state == search::trial_state::failed);
  CHECK_THAT(interrupted.error.value_or(""), Catch::StartsWith("interrupted"));
  int retries = 0;
  for (const auto& t : after)
    if (t.retry_of == 7) {
      ++retries;
      CHECK(t.params == interrupted.params);
      CHECK(t.state == search::trial_state::complete);
    }
  CHECK(retries == 1);
  // The waiting proposals ran before anything new was proposed.
  CHECK(after[8].state == search::trial_state::complete);
  CHECK(after[9].state == search::trial_state::complete);
}

TEST_CASE("study driver: infeasible configurations are never proposed, and one found waiting is pruned",
          "[search][study]") {
  autopeft::testing::scratch_dir dir("study-infeasible");
  auto store = search::study_store::open(dir / "s.db");
  const auto study = store.create_study("feasible", {}, peft_objectives(), 4);
  auto o = small_study(10);
  o.infeasible = [](const autopeft::space::configuration& c) -> std::string {
    return S::to_json(c)["pt"].get<int>() > 6 ? "prefix too long" : "";
  };
  store.enqueue(study, {{"sa", 0}, {"pa", 0}, {"pt", 768}, {"layers", {true, true}}}, 1);
  analytic_evaluator f;
  search::study_driver<S>(o).run(store, study, f);
  const auto trials = store.trials(study);
  REQUIRE(trials.size() == 10);
  CHECK(trials[0].state == search::trial_state::pruned);
  CHECK_THAT(trials[0].error.value_or(""), Catch::Contains("prefix too long"));
  for (std::size_t i = 1; i < trials.size(); ++i) {
    CHECK(trials[i].params["pt"].get<int>() <= 6);
    CHECK(trials[i].state == search::trial_state::complete);
  }
}

TEST_CASE("study driver: asynchronous proposals treat running trials as pending; a lost worker's trial is re-queued",
          "[search][study][async]") {
  autopeft::testing::scratch_dir dir("study-async");
  auto store = search::study_store::open(dir / "s.db");
  const auto study = store.create_study("async", {}, peft_objectives(), 2);
  auto o = small_study(6);
  o.initial_trials = 3;
  const search::study_driver<S> driver(o);
  analytic_evaluator f;

  CHECK(driver.enqueue_proposals(store, study, 2) == 2);
  const auto a = *store.claim(study, "rank 1");
  const auto b = *store.claim(study, "rank 2");
  // The rest of the initial design only, though 4 more would fit the budget.
  CHECK(driver.enqueue_proposals(store, study, 5) == 1);
  for (const auto& t : {a, b}) search::run_trial<S>(store, study, t, f);
  const auto c = *store.claim(study, "rank 1");
  CHECK(c.provenance.origin == "initial");
  // MOBO now: trial c runs, so it is pending; the budget leaves 6 - 2 finished - 1 open = 3.
  CHECK(driver.enqueue_proposals(store, study, 5) == 3);
  CHECK(driver.enqueue_proposals(store, study, 5) == 0);
  auto trials = store.trials(study);
  REQUIRE(trials.size() == 6);
  for (std::size_t i = 3; i < 6; ++i) CHECK(trials[i].provenance.origin == "mobo");
  CHECK(configuration_hashes(trials).size() == 6);  // the pending configuration is not proposed again

  // The worker running c is lost: c fails as interrupted and a copy waits.
  const auto copy = store.requeue(study, c.number, "interrupted: worker rank 1 was silent");
  const auto lost = store.trial(study, c.number);
  CHECK(lost.state == search::trial_state::failed);
  CHECK_THAT(lost.error.value_or(""), Catch::StartsWith("interrupted: worker rank 1") && Catch::Contains("requeued as trial"));
  const auto again = store.trial(study, copy);
  CHECK(again.state == search::trial_state::waiting);
  CHECK(again.retry_of == c.number);
  CHECK(again.params == c.params);
  CHECK(again.seed == c.seed);
  CHECK_THROWS_WITH(store.requeue(study, copy, "interrupted"), Catch::Contains("running"));
  // The budget counts the interrupted attempt once: the copy and the three proposals finish it.
  CHECK(driver.run(store, study, f).complete == 6);
  CHECK(driver.finished(store, study) == 6);
}

TEST_CASE("hand_designed_in_space: the nearest configuration of a space to each hand-designed method", "[search][design]") {
  using L = autopeft::space::autopeft_lora_space<12>;
  const auto bert = autopeft::model::EncoderConfig::bert_base();
  auto json_of = [&](std::string_view name, double lr) { return L::to_json(*search::hand_designed_in_space<L>(name, bert, lr)); };
  const std::vector<bool> all_on(12, true);
  // Pfeiffer's H/16 = 48 and LoRA's r = 8 are levels of the space; the parallel adapter's 2H/3 =
  // 512 is not: log-nearest is 384 (ln 512/384 = 0.29 against ln 768/512 = 0.41).
  CHECK(json_of("pfeiffer", 3e-3) == nlohmann::json{{"sa", 48}, {"pa", 0}, {"pt", 0}, {"lora_r", 0}, {"ia3", 0}, {"lr", 3e-3}, {"layers", all_on}});
  CHECK(json_of("lora8", 2e-3) == nlohmann::json{{"sa", 0}, {"pa", 0}, {"pt", 0}, {"lora_r", 8}, {"ia3", 0}, {"lr", 3e-3}, {"layers", all_on}});
  CHECK(json_of("parallel", 1e-2)["pa"] == 384);
  CHECK(json_of("ia3", 1e-2) == nlohmann::json{{"sa", 0}, {"pa", 0}, {"pt", 0}, {"lora_r", 0}, {"ia3", 1}, {"lr", 1e-2}, {"layers", all_on}});
  const auto mam = json_of("mam", 1e-4);  // prefix 30 -> 24, parallel 512 -> 384
  CHECK((mam["pt"] == 24 && mam["pa"] == 384 && mam["sa"] == 0 && mam["lr"] == 1e-4));
  // What the space cannot express has no configuration: BitFit and UniPELT anywhere, LoRA and
  // (IA)3 in the paper's space.
  CHECK_FALSE(search::hand_designed_in_space<L>("bitfit", bert, 1e-3).has_value());
  CHECK_FALSE(search::hand_designed_in_space<L>("unipelt", bert, 1e-3).has_value());
  CHECK_FALSE(search::hand_designed_in_space<L>("full", bert, 1e-3).has_value());
  using P = autopeft::space::autopeft_space<12>;
  CHECK_FALSE(search::hand_designed_in_space<P>("lora8", bert, 1e-3).has_value());
  CHECK_FALSE(search::hand_designed_in_space<P>("ia3", bert, 1e-3).has_value());
  CHECK(P::to_json(*search::hand_designed_in_space<P>("pfeiffer", bert, 1e-3)) ==
        nlohmann::json{{"sa", 48}, {"pa", 0}, {"pt", 0}, {"layers", all_on}});
  // Where the sizes are levels, the configuration prices as the method does.
  for (const auto* name : {"pfeiffer", "lora8"}) {
    const auto plan = autopeft::space::to_plan(L{}, *search::hand_designed_in_space<L>(name, bert, 1e-3), autopeft::space::autopeft_lora_base_plan<12>());
    CHECK(plan.stored_parameters(bert) == autopeft::peft::hand_designed(name, bert).plan.stored_parameters(bert));
  }
  CHECK_THROWS_WITH(search::hand_designed_in_space<L>("lora9", bert, 1e-3), Catch::Contains("unknown hand-designed method 'lora9'"));
}

TEST_CASE("study driver: initial_configurations open the initial design; a bad one is refused naming the field",
          "[search][study][design]") {
  autopeft::testing::scratch_dir dir("study-driver-seeds");
  auto store = search::study_store::open(dir / "s.db");
  const auto study = store.create_study("seeded", {{"kind", "test"}}, peft_objectives(), 11);
  auto o = small_study(8);
  const auto first = S::from_json({{"sa", 768}, {"pa", 0}, {"pt", 0}, {"layers", {true, true}}});
  const auto second = S::from_json({{"sa", 0}, {"pa", 1}, {"pt", 0}, {"layers", {false, true}}});
  o.initial_configurations = {first, second, first};  // the repeat is skipped
  analytic_evaluator f;
  search::study_driver<S>(o).run(store, study, f);
  const auto trials = store.trials(study);
  REQUIRE(trials.size() == 8);
  CHECK(S::hash(search::configuration_of<S>(trials[0], "test")) == S::hash(first));
  CHECK(S::hash(search::configuration_of<S>(trials[1], "test")) == S::hash(second));
  for (int i = 0; i < 6; ++i) CHECK(trials[static_cast<std::size_t>(i)].provenance.origin == "initial");
  CHECK(configuration_hashes(trials).size() == 8);
  // The rest of the design is the unseeded design's, less what the seeds took.
  autopeft::testing::scratch_dir dir2("study-driver-unseeded");
  auto store2 = search::study_store::open(dir2 / "s.db");
  const auto plain = store2.create_study("plain", {{"kind", "test"}}, peft_objectives(), 11);
  analytic_evaluator g;
  search::study_driver<S>(small_study(6)).run(store2, plain, g);
  CHECK(S::hash(search::configuration_of<S>(store2.trials(plain)[0], "test")) ==
        S::hash(search::configuration_of<S>(trials[2], "test")));

  o.initial_configurations = {autopeft::space::configuration{{1.0, 2.0}}};
  CHECK_THROWS_WITH(search::study_driver<S>(o), Catch::Contains("initial_configurations[0]") && Catch::Contains("components"));
}

TEST_CASE("study options name the offending field", "[search][study]") {
  auto o = small_study(5);
  o.reference_point = {0.5};
  CHECK_THROWS_WITH(o.validate(2), Catch::Contains("reference_point") && Catch::Contains("2 objectives"));
  o = small_study(0);
  CHECK_THROWS_WITH(o.validate(2), Catch::Contains("max_trials"));
}

namespace {

// A grammar whose sentences carry their label: does the verb come from the first half?
std::vector<std::string> grammar(std::size_t n, unsigned seed, std::vector<std::int64_t>* labels = nullptr) {
  static const std::vector<std::string> subjects = {"the cat", "a dog", "the old man", "my sister"};
  static const std::vector<std::string> verbs = {"sees", "likes", "chases", "finds", "hears", "follows"};
  static const std::vector<std::string> objects = {"the ball", "a red apple", "the river", "some bread"};
  std::mt19937 rng(seed);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) {
    const auto v = rng() % 6;
    out.push_back(subjects[rng() % 4] + " " + verbs[v] + " " + objects[rng() % 4] + ".");
    if (labels) labels->push_back(v < 3 ? 0 : 1);
  }
  return out;
}

// A 2-layer backbone of hidden size `hidden`, pretrained `steps` steps on the grammar, saved as
// `autopeft pretrain` does, and loaded back.
autopeft::train::pretrained_backbone tiny_backbone(const std::filesystem::path& dir, std::int64_t hidden, std::int64_t steps) {
  const auto corpus = grammar(100, 1);
  const autopeft::data::wordpiece_tokenizer tok(autopeft::data::train_wordpiece(corpus, {.vocab_size = 100}));
  autopeft::train::mlm_pretrainer_options po;
  po.model = autopeft::model::EncoderConfig::bert_base();
  po.model.hidden_size = hidden;
  po.model.num_hidden_layers = 2;
  po.model.num_attention_heads = 2;
  po.model.intermediate_size = 2 * hidden;
  po.model.max_position_embeddings = 48;
  po.max_seq_length = 16;
  po.train_batch_size = 8;
  po.max_steps = steps;
  const auto pretrained = autopeft::train::mlm_pretrainer(po).train(tok, corpus);
  autopeft::train::save_backbone(dir / "backbone", pretrained, tok, {}, 16);
  return autopeft::train::pretrained_backbone::load(dir / "backbone");
}

// The grammar's verb-half task with `train` and `dev` examples.
autopeft::data::task grammar_task(std::size_t train, std::size_t dev) {
  autopeft::data::task task;
  task.info = {.name = "verb_half", .labels = {"first", "second"}};
  std::vector<std::int64_t> train_labels, dev_labels;
  const auto train_text = grammar(train, 2, &train_labels), dev_text = grammar(dev, 3, &dev_labels);
  for (std::size_t i = 0; i < train_text.size(); ++i) task.train.push_back({.text_a = train_text[i], .label = train_labels[i]});
  for (std::size_t i = 0; i < dev_text.size(); ++i) task.dev.push_back({.text_a = dev_text[i], .label = dev_labels[i]});
  return task;
}

}  // namespace

TEST_CASE("peft_evaluator trains each trial on one resident frozen backbone; a NaN and an exception fail their trials",
          "[search][study][faults][train]") {
  autopeft::testing::scratch_dir dir("peft-evaluator");
  // A 2-layer backbone pretrained for a few steps on the grammar, saved as `autopeft pretrain` does.
  const auto corpus = grammar(400, 1);
  const autopeft::data::wordpiece_tokenizer tok(autopeft::data::train_wordpiece(corpus, {.vocab_size = 100}));
  autopeft::train::mlm_pretrainer_options po;
  po.model = autopeft::model::EncoderConfig::bert_base();
  po.model.hidden_size = 32;
  po.model.num_hidden_layers = 2;
  po.model.num_attention_heads = 2;
  po.model.intermediate_size = 64;
  po.model.max_position_embeddings = 48;
  po.max_seq_length = 16;
  po.train_batch_size = 16;
  po.max_steps = 5;
  po.seed = 2;
  const auto pretrained = autopeft::train::mlm_pretrainer(po).train(tok, corpus);
  autopeft::train::save_backbone(dir / "backbone", pretrained, tok, {}, 16);
  const auto backbone = autopeft::train::pretrained_backbone::load(dir / "backbone");

  autopeft::data::task task;
  task.info = {.name = "verb_half", .labels = {"first", "second"}};
  std::vector<std::int64_t> train_labels, dev_labels;
  const auto train_text = grammar(256, 2, &train_labels), dev_text = grammar(64, 3, &dev_labels);
  for (std::size_t i = 0; i < train_text.size(); ++i) task.train.push_back({.text_a = train_text[i], .label = train_labels[i]});
  for (std::size_t i = 0; i < dev_text.size(); ++i) task.dev.push_back({.text_a = dev_text[i], .label = dev_labels[i]});

  autopeft::train::trainer_options low;
  low.num_train_epochs = 1;
  low.learning_rate = 3e-3;
  low.max_seq_length = 16;
  search::peft_evaluator<S> eval(backbone, task, low, autopeft::space::autopeft_base_plan<2>());
  CHECK(eval.objectives()[0].name == "accuracy");
  CHECK(eval.objectives()[1].minimize);

  // Long prefixes do not fit 48 positions with 16-token inputs.
  CHECK(eval.infeasible(S::from_json({{"sa", 0}, {"pa", 0}, {"pt", 48}, {"layers", {true, true}}})) != "");
  CHECK(eval.infeasible(S::from_json({{"sa", 0}, {"pa", 0}, {"pt", 24}, {"layers", {true, true}}})) == "");

  auto word_embeddings = [&] { return eval.model()->backbone->embeddings->word_embeddings->weight; };
  const auto resident = word_embeddings().data_ptr<float>();
  const auto weights = word_embeddings().clone();

  struct injecting {
    search::peft_evaluator<S>* inner;
    int calls = 0;
    search::evaluation evaluate(const autopeft::space::configuration& c, std::uint64_t seed) {
      ++calls;
      if (calls == 2) {  // a diverging learning rate: the loss turns NaN inside the trainer
        const auto lr = inner->options().learning_rate;
        inner->options().learning_rate = 1e30;
        try {
          auto r = inner->evaluate(c, seed);
          inner->options().learning_rate = lr;
          return r;
        } catch (...) {
          inner->options().learning_rate = lr;
          throw;
        }
      }
      if (calls == 3) throw std::runtime_error("injected exception inside the trial");
      return inner->evaluate(c, seed);
    }
  } faulty{&eval};

  auto store = search::study_store::open(dir / "s.db");
  const auto study = store.create_study("verb_half", {}, eval.objectives(), 1);
  auto o = small_study(6);
  o.initial_trials = 4;
  o.batch_size = 2;
  o.infeasible = [&](const autopeft::space::configuration& c) { return eval.infeasible(c); };
  const auto summary = search::study_driver<S>(o).run(store, study, faulty);
  CHECK(summary.complete == 4);
  CHECK(summary.failed == 2);
  const auto trials = store.trials(study);
  REQUIRE(trials.size() == 6);
  CHECK(trials[1].state == search::trial_state::failed);
  CHECK_THAT(trials[1].error.value_or(""), Catch::Contains("the loss is") && Catch::Contains("diverged"));
  CHECK(trials[2].state == search::trial_state::failed);
  CHECK(trials[2].error == "injected exception inside the trial");
  for (const auto& t : trials) {
    if (t.state != search::trial_state::complete) continue;
    const auto& y = *t.objectives;
    CHECK(y[0] >= 0.0);
    CHECK(y[0] <= 1.0);
    CHECK(y[1] > 0.0);
    CHECK(t.extra["steps"].get<int>() == 8);  // 256 examples, batch 32, one epoch
    // The % of parameters is the stored PEFT modules' share of the backbone, as the plan counts them.
    CHECK(y[1] == Approx(100.0 * static_cast<double>(t.extra["stored_parameters"].get<std::int64_t>()) /
                         static_cast<double>(eval.backbone_parameters())));
  }
  // One resident backbone, never reloaded, never trained.
  CHECK(word_embeddings().data_ptr<float>() == resident);
  CHECK(torch::equal(word_embeddings(), weights));

  // A trial is a pure function of (configuration, seed), whatever ran before it in the process:
  // what makes a resumed study equal an uninterrupted one. (The pooler trains with the head;
  // it once carried its weights from one trial into the next.)
  const auto a = S::from_json({{"sa", 3}, {"pa", 0}, {"pt", 0}, {"layers", {true, true}}});
  const auto b = S::from_json({{"sa", 0}, {"pa", 12}, {"pt", 0}, {"layers", {false, true}}});
  const auto first = eval.evaluate(a, 77);
  eval.evaluate(b, 78);
  const auto again = eval.evaluate(a, 77);
  CHECK(again.objectives == first.objectives);
  CHECK(again.extra["final_loss"] == first.extra["final_loss"]);
  // ... and whatever process it runs in: LibTorch seeds its global generator at random in each
  // process, and the pooler this backbone lacks once took its weights from there. An evaluator
  // built after another seed stands for another process; the caller's generator is untouched.
  torch::manual_seed(987654321);
  const auto expected_draw = torch::rand({3}, torch::kFloat64);
  torch::manual_seed(987654321);
  search::peft_evaluator<S> other(backbone, task, low, autopeft::space::autopeft_base_plan<2>());
  CHECK(torch::equal(torch::rand({3}, torch::kFloat64), expected_draw));
  const auto elsewhere = other.evaluate(a, 77);
  CHECK(elsewhere.objectives == first.objectives);
  CHECK(elsewhere.extra["final_loss"] == first.extra["final_loss"]);
}

TEST_CASE("peft_evaluator prices a configuration by its stored parameters, as the closed form does",
          "[search][study][cost]") {
  autopeft::testing::scratch_dir dir("peft-evaluator-cost");
  // A tiny 2-layer backbone, pretrained for one step: only its shapes matter here.
  const auto backbone = tiny_backbone(dir.path, 16, 1);
  const auto task = grammar_task(16, 8);
  autopeft::train::trainer_options low;
  low.max_steps = 1;
  low.max_seq_length = 16;
  const auto base = autopeft::space::autopeft_base_plan<2>();  // prefix through an MLP of width 800
  search::peft_evaluator<S> eval(backbone, task, low, base);
  CHECK(eval.cost() == search::cost_kind::stored);

  const auto c = S::from_json({{"sa", 3}, {"pa", 6}, {"pt", 12}, {"layers", {true, false}}});
  const auto& config = eval.model()->config();
  const std::int64_t h = config.hidden_size;
  const auto plan = autopeft::space::to_plan(S{}, c, base);
  // The reference's 2·H·layers·(sa + pa + pt), plus the SA's and PA's biases; not the prefix's MLP.
  const std::int64_t stored = 2 * h * 1 * (3 + 6 + 12) + (3 + h) + (6 + h);
  CHECK(plan.stored_parameters(config) == stored);
  const auto backbone_parameters = static_cast<double>(eval.backbone_parameters());
  CHECK(eval.cost(c) == Approx(100.0 * static_cast<double>(stored) / backbone_parameters));

  const auto r = eval.evaluate(c, 5);
  CHECK(r.extra["stored_parameters"].get<std::int64_t>() == stored);
  CHECK(r.extra["trainable_parameters"].get<std::int64_t>() == plan.trainable_parameters(config));
  CHECK(r.extra["peft_parameters"] == r.extra["trainable_parameters"]);
  CHECK(r.extra["trainable_parameters"].get<std::int64_t>() > stored + 800 * 2 * h);  // the MLP trains
  CHECK(r.objectives[1] == Approx(eval.cost(c)));

  eval.cost(search::cost_kind::trainable);
  const auto t = eval.evaluate(c, 5);
  CHECK(t.objectives[1] ==
        Approx(100.0 * static_cast<double>(plan.trainable_parameters(config)) / backbone_parameters));
  CHECK(eval.cost(c) == Approx(t.objectives[1]));

  CHECK(search::to_string(search::cost_kind::stored) == "stored");
  CHECK(search::cost_kind_from_string("trainable") == search::cost_kind::trainable);
  CHECK_THROWS_WITH(search::cost_kind_from_string("folded"),
                    Catch::Contains("'folded'") && Catch::Contains("stored, trainable"));
}

TEST_CASE("peft_evaluator: an lr dimension sets the trial's rate, a fidelity its examples and epochs; the baselines train "
          "on a grid of rates, then at the best with fresh seeds",
          "[search][study][fidelity][baselines]") {
  autopeft::testing::scratch_dir dir("peft-evaluator-lr");
  const auto backbone = tiny_backbone(dir.path, 16, 1);
  const auto task = grammar_task(48, 8);
  autopeft::train::trainer_options o;
  o.num_train_epochs = 1;
  o.train_batch_size = 8;
  o.max_seq_length = 16;
  o.learning_rate = 0.5;  // never used: the space's lr dimension or the baseline's rate wins
  using L = autopeft::space::autopeft_lora_space<2>;
  search::peft_evaluator<L> eval(backbone, task, o, autopeft::space::autopeft_lora_base_plan<2>());
  const auto c = L::from_json({{"sa", 0}, {"pa", 0}, {"pt", 0}, {"lora_r", 8}, {"ia3", 0}, {"lr", 3e-3}, {"layers", {true, true}}});
  const auto r = eval.evaluate(c, 1);
  CHECK(r.extra["learning_rate"].get<double>() == 3e-3);
  CHECK(r.extra["train_examples"].get<std::int64_t>() == 48);
  CHECK(r.extra["steps"].get<std::int64_t>() == 6);
  // LoRA r=8 at query and value of 2 layers, hidden 16: 2 · 2 · 8 · (16 + 16).
  CHECK(r.extra["stored_parameters"].get<std::int64_t>() == 2 * 2 * 8 * 32);
  const search::trial_fidelity low{.level = 0, .resources = {{"train_samples", 16}, {"epochs", 2}}};
  const auto f = eval.evaluate(c, 1, low);
  CHECK(f.extra["train_examples"].get<std::int64_t>() == 16);
  CHECK(f.extra["steps"].get<std::int64_t>() == 4);
  CHECK(f.objectives[1] == r.objectives[1]);  // the cost does not depend on the fidelity
  CHECK_THROWS_WITH(eval.evaluate(c, 1, search::trial_fidelity{.resources = {{"samples", 3}}}),
                    Catch::Contains("unknown resource 'samples'") && Catch::Contains("train_samples, epochs and max_steps"));

  // The baselines: LoRA r=8 at the same rate is the same training as the space's configuration.
  search::hand_designed_evaluator baselines(backbone, task, o);
  const auto lora8 = baselines.evaluate(search::hand_designed_space::from_json({{"method", "lora8"}, {"lr", 3e-3}}, "test"), 1);
  CHECK(lora8.objectives == r.objectives);
  CHECK(baselines.cost("lora8") == Approx(r.objectives[1]));

  auto store = search::study_store::open(dir / "b.db");
  const auto study = store.create_study("s", {}, peft_objectives(), 5);
  const search::baseline_options bo{.methods = {"lora8", "ia3"}, .lr_grid = {1e-3, 1e-2}, .seeds = 2};
  const auto rows = search::run_baselines(store, study, baselines, bo);
  REQUIRE(rows.size() == 2);
  const auto trials = store.trials(store.load_study("s:baselines"));
  CHECK(trials.size() == 2 * 2 + 2 * 2);  // every method: |grid| + seeds runs
  for (const auto& row : rows) {
    CHECK(row.grid.size() == 2);
    CHECK(row.runs == 2);
    // The chosen rate is the grid's best on dev.
    double best = -1;
    for (const auto& [lr, metric] : row.grid) best = std::max(best, metric);
    CHECK(row.grid.at(row.lr) == best);
  }
  // Fresh seeds: no final run repeats a grid run's seed.
  std::set<std::uint64_t> grid_seeds;
  for (const auto& t : trials)
    if (t.provenance.origin == "grid") grid_seeds.insert(t.seed);
  for (const auto& t : trials)
    if (t.provenance.origin == "final") CHECK_FALSE(grid_seeds.contains(t.seed));
  // Paired seeds: the k-th final run of every method has final_seed(study seed, k), as the
  // Pareto set's k-th re-training run does.
  for (const auto& t : trials)
    if (t.provenance.origin == "final") CHECK(t.seed == search::final_seed(study.seed, t.provenance.seed_index.value()));
  // Run again: nothing more is trained, the same results come back.
  const auto again = search::run_baselines(store, study, baselines, bo);
  CHECK(store.trials(store.load_study("s:baselines")).size() == trials.size());
  CHECK(again[0].mean == rows[0].mean);
  // The report reads one row per baseline, with its rate.
  const auto data = search::study_report_data(store, study);
  REQUIRE(data.baselines.size() == 2);
  CHECK(data.baselines[0].runs == 2);
  CHECK(data.baselines[0].lr == rows[0].lr);
  CHECK_THROWS_WITH(search::run_baselines(store, study, baselines, {.methods = {"full"}}), Catch::Contains("'full'"));
}

namespace {
// The process's resident set now, in MiB (VmRSS).
double resident_mib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.starts_with("VmRSS:")) return std::stod(line.substr(6)) / 1024.0;
  return -1;
}
}  // namespace

// AddressSanitizer keeps freed blocks in its quarantine (256 MiB by default), still resident:
// under it a freed tensor does not lower the resident set, so the checks that memory comes
// back to the system only hold without it.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool freed_memory_returns = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool freed_memory_returns = false;
#else
constexpr bool freed_memory_returns = true;
#endif
#else
constexpr bool freed_memory_returns = true;
#endif

TEST_CASE("peak_memory on the CPU: a large tensor raises the peak by its size; a new measurement starts from the present",
          "[search][study][objectives][memory]") {
  const autopeft::train::peak_memory before(torch::kCPU);
  if (!before.available()) {  // not Linux, or /proc/self/clear_refs not writable: an error, never a number
    CHECK_THROWS_WITH(before.mebibytes(), Catch::Contains("clear_refs"));
    return;
  }
  const double start = before.mebibytes();
  CHECK(start >= resident_mib() - 1);
  {
    const auto big = torch::ones({32 << 20}, torch::kFloat32);  // 128 MiB, every page written
    CHECK(big.sum().item<float>() > 0);
  }
  const double peak = before.mebibytes();
  CHECK(peak >= start + 120);
  const autopeft::train::peak_memory after(torch::kCPU);
  if (freed_memory_returns) CHECK(after.mebibytes() < peak - 100);  // the 128 MiB were given back, and the peak was reset
  const autopeft::train::peak_memory gpu(torch::Device(torch::kCUDA, 0));
#if !defined(AUTOPEFT_WITH_CUDA)
  CHECK_FALSE(gpu.available());
  CHECK_THROWS_WITH(gpu.mebibytes(), Catch::Contains("without CUDA"));
#endif
}

TEST_CASE("extra objectives: the evaluators append step_ms and peak_memory_mb, each read from the trial's measurements",
          "[search][study][objectives][train]") {
  autopeft::testing::scratch_dir dir("peft-evaluator-extra");
  const auto backbone = tiny_backbone(dir.path, 16, 1);
  const auto task = grammar_task(48, 8);
  autopeft::train::trainer_options o;
  o.num_train_epochs = 1;
  o.train_batch_size = 8;
  o.max_seq_length = 16;
  using L = autopeft::space::autopeft_lora_space<2>;
  search::peft_evaluator<L> eval(backbone, task, o, autopeft::space::autopeft_lora_base_plan<2>());
  const auto c = L::from_json({{"sa", 0}, {"pa", 0}, {"pt", 0}, {"lora_r", 8}, {"ia3", 0}, {"lr", 3e-3}, {"layers", {true, true}}});

  // Not chosen: two objectives, both measurements in extra.
  const auto plain = eval.evaluate(c, 1);
  CHECK(plain.objectives.size() == 2);
  CHECK(plain.extra["step_ms"].get<double>() == 1000 * plain.extra["step_seconds"].get<double>());
  CHECK(plain.extra["step_ms"].get<double>() > 0);

  eval.extra_objectives({search::extra_objective::step_ms});
  REQUIRE(eval.objectives().size() == 3);
  CHECK((eval.objectives()[2] == search::study_objective{.name = "step_ms", .minimize = true}));
  const auto r = eval.evaluate(c, 1);
  REQUIRE(r.objectives.size() == 3);
  CHECK(r.objectives[2] == r.extra["step_ms"].get<double>());
  CHECK(r.objectives[2] > 0);
  CHECK(std::vector<double>(r.objectives.begin(), r.objectives.begin() + 2) == plain.objectives);  // same training

  if (!autopeft::train::peak_memory(torch::kCPU).available()) {
    CHECK_THROWS_WITH(eval.extra_objectives({search::extra_objective::peak_memory_mb}), Catch::Contains("peak_memory_mb"));
    return;
  }
  eval.extra_objectives({search::extra_objective::peak_memory_mb, search::extra_objective::step_ms});
  CHECK(eval.objectives()[2].name == "peak_memory_mb");
  CHECK(eval.objectives()[3].name == "step_ms");
  // The peak of a trial: at least what the process holds after it; larger by about 128 MiB when
  // the trial allocates 128 MiB (here in its progress callback); and back to the small value in
  // the next trial, so each trial's peak is its own.
  const auto quiet = eval.evaluate(c, 1);
  const double after = resident_mib();
  REQUIRE(quiet.objectives.size() == 4);
  CHECK(quiet.objectives[2] == quiet.extra["peak_memory_mb"].get<double>());
  CHECK(quiet.objectives[3] == quiet.extra["step_ms"].get<double>());
  CHECK(quiet.objectives[2] >= after - 1);
  bool allocated = false;
  eval.set_progress([&](const autopeft::train::progress&) {
    if (allocated) return;
    allocated = true;
    CHECK(torch::ones({32 << 20}, torch::kFloat32).sum().item<float>() > 0);
  });
  const auto heavy = eval.evaluate(c, 1);
  CHECK(allocated);
  CHECK(heavy.objectives[2] >= quiet.objectives[2] + 100);
  eval.set_progress({});
  const auto quiet_again = eval.evaluate(c, 1);
  if (freed_memory_returns) CHECK(quiet_again.objectives[2] < heavy.objectives[2] - 100);

  CHECK_THROWS_WITH(eval.extra_objectives({search::extra_objective::step_ms, search::extra_objective::step_ms}),
                    Catch::Contains("step_ms is listed twice"));
  CHECK_THROWS_WITH(search::extra_objective_from_string("latency"),
                    Catch::Contains("'latency'") && Catch::Contains("step_ms, peak_memory_mb"));

  // The baselines' evaluator returns the same objectives, so its companion study matches.
  search::hand_designed_evaluator baselines(backbone, task, o);
  baselines.extra_objectives({search::extra_objective::step_ms});
  const auto bo = baselines.objectives();
  REQUIRE(bo.size() == 3);
  CHECK((bo[0] == eval.objectives()[0]));
  CHECK(bo[2].name == "step_ms");
  const auto b = baselines.evaluate(search::hand_designed_space::from_json({{"method", "lora8"}, {"lr", 3e-3}}, "test"), 1);
  REQUIRE(b.objectives.size() == 3);
  CHECK(b.objectives[2] == b.extra["step_ms"].get<double>());
  CHECK(b.extra.contains("peak_memory_mb"));
}

namespace {

// The model implementation of search::study_storage from search/concepts.hpp: one study in memory.
struct memory_storage {
  std::vector<search::trial_record> all;
  std::vector<search::trial_record> trials(const search::study_record&) const { return all; }
  std::optional<search::trial_record> claim(const search::study_record&) {
    for (auto& t : all)
      if (t.state == search::trial_state::waiting) return t.state = search::trial_state::running, t;
    return std::nullopt;
  }
  void enqueue_all(const search::study_record&, const std::vector<search::new_trial>& batch) {
    for (const auto& b : batch)
      all.push_back({.number = std::ssize(all), .params = b.params, .seed = b.seed, .fidelity = b.fidelity, .provenance = b.provenance});
  }
  void complete(const search::study_record&, std::int64_t n, const std::vector<double>& y, const nlohmann::json&, double) {
    all[static_cast<std::size_t>(n)].state = search::trial_state::complete;
    all[static_cast<std::size_t>(n)].objectives = y;
  }
  void fail(const search::study_record&, std::int64_t n, const std::string&) {
    all[static_cast<std::size_t>(n)].state = search::trial_state::failed;
  }
  void prune(const search::study_record&, std::int64_t n, const std::string&) {
    all[static_cast<std::size_t>(n)].state = search::trial_state::pruned;
  }
  std::vector<search::requeued_trial> requeue_running(const search::study_record&) { return {}; }
};

struct storage_without_claim : memory_storage {
  void claim() = delete;
};

}  // namespace

static_assert(search::study_storage<search::study_store>);
static_assert(search::study_storage<memory_storage>);
static_assert(!search::study_storage<storage_without_claim>);
static_assert(!search::study_storage<const search::study_store>);  // it writes
static_assert(!search::study_storage<int>);

TEST_CASE("study_driver runs a study on any study_storage: in memory it makes the store's trials", "[search][study_driver]") {
  autopeft::testing::scratch_dir dir("study-storage");
  auto store = search::study_store::open(dir / "s.db");
  const auto study = store.create_study("analytic", {{"kind", "test"}}, peft_objectives(), 11);
  const search::study_driver<S> driver(small_study(12));
  analytic_evaluator f, g;
  driver.run(store, study, f);
  memory_storage memory;
  const auto summary = driver.run(memory, study, g);

  CHECK(summary.complete == 12);
  CHECK(g.calls == 12);
  const auto on_disk = store.trials(study);
  REQUIRE(memory.all.size() == on_disk.size());
  for (std::size_t i = 0; i < on_disk.size(); ++i) {
    CHECK(memory.all[i].params == on_disk[i].params);
    CHECK(memory.all[i].provenance == on_disk[i].provenance);
    CHECK(memory.all[i].seed == on_disk[i].seed);
    CHECK(memory.all[i].state == on_disk[i].state);
  }
  CHECK(driver.finished(memory, study) == 12);
}

TEST_CASE("run_queue runs every waiting trial once, records a failure and goes on, and reports progress", "[search][study_driver]") {
  memory_storage memory;
  const search::study_record study{.name = "queue", .objectives = peft_objectives()};
  std::vector<search::new_trial> batch;
  for (const int sa : {1, 3, 6})
    batch.push_back({.params = {{"sa", sa}, {"pa", 0}, {"pt", 0}, {"layers", {true, true}}}, .seed = 7});
  batch.push_back({.params = {{"sa", 1}, {"pa", 0}}, .seed = 7});  // not a configuration of S: fails
  memory.enqueue_all(study, {batch[0]});
  memory.all[0].state = search::trial_state::complete;  // finished before: not run again
  auto& store = memory;
  const std::vector<search::new_trial> trials(batch.begin() + 1, batch.end());
  using Space = S;
  analytic_evaluator f;
  auto& evaluator = f;
  std::vector<search::study_event> events;
  const search::study_callback callback = [&](const search::study_event& e) { events.push_back(e); };
  // The header's example:
  store.enqueue_all(study, trials);  // what to run
  const auto ran = search::run_queue<Space>(store, study, evaluator, "retrain", callback);
  CHECK(ran == 3);
  CHECK(f.calls == 2);
  CHECK(memory.all[1].state == search::trial_state::complete);
  CHECK(memory.all[2].state == search::trial_state::complete);
  CHECK(memory.all[3].state == search::trial_state::failed);
  REQUIRE(events.size() == 6);
  for (std::size_t i = 0; i < events.size(); ++i) {
    CHECK(events[i].origin == "retrain");
    CHECK(events[i].budget == 3);
    CHECK(events[i].finished == static_cast<std::int64_t>((i + 1) / 2));
    CHECK(events[i].what == (i % 2 == 0 ? search::study_event::kind::trial_started : search::study_event::kind::trial_finished));
  }
  CHECK(events.back().state == search::trial_state::failed);
  CHECK(search::run_queue<S>(memory, study, f, "retrain") == 0);  // the queue is empty
}
