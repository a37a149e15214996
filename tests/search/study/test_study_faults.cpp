// Faults a long search meets, injected: the process dies at any step (a resumed study then
// proposes and records exactly what an uninterrupted one does), a trial runs out of memory (a
// failed trial that says so; the study goes on), and the disk under the store fills up (a clear
// error naming the store; once space is back the store is sound, nothing finished is lost, and
// the study resumes). The NaN loss and a thrown exception are in test_study_driver.cpp.
#include <autopeft/search.hpp>
#include <autopeft/space/spaces/autopeft_space.hpp>

#include "../../support/scratch_dir.hpp"

#include <c10/util/Exception.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <new>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace {

using S = autopeft::space::autopeft_space<2>;
namespace search = autopeft::search;

// A smooth two-objective landscape whose value also depends on the seed, so that a trial re-run
// with another seed would show.
struct analytic_evaluator {
  int calls = 0;
  std::string extra_text;  // padding for the extra column, to make the store grow
  search::evaluation evaluate(const autopeft::space::configuration& c, std::uint64_t seed) {
    ++calls;
    const auto j = S::to_json(c);
    double layers = 0;
    for (bool on : j["layers"].get<std::vector<bool>>()) layers += on ? 1 : 0;
    const double sa = j["sa"].get<double>(), pa = j["pa"].get<double>(), pt = j["pt"].get<double>();
    const double noise = static_cast<double>(seed % 1000) * 1e-5;
    const double metric = 1 - std::exp(-0.3 * layers * (std::log1p(sa) + 0.8 * std::log1p(pa) + 0.2 * std::log1p(pt))) + noise;
    const double pct = 100.0 * layers * (2 * 16 * sa + 2 * 16 * pa + 2 * 16 * pt) / 50000.0;
    nlohmann::json extra = {{"layers", layers}};
    if (!extra_text.empty()) extra["log"] = extra_text;
    return {.objectives = {metric, pct}, .extra = extra};
  }
};

std::vector<search::study_objective> peft_objectives() {
  return {{.name = "accuracy"}, {.name = "params_pct", .minimize = true}};
}

search::study_options small_study(std::int64_t trials) {
  search::study_options o;
  o.initial_trials = 5;
  o.batch_size = 3;
  o.max_trials = trials;
  o.reference_point = {0.0, 100.0};
  o.mc_samples = 32;
  o.local_search_restarts = 4;
  o.seed = 13;
  return o;
}

// What stands for SIGKILL inside one process: an exception out of the study's callback leaves
// the store as a killed process leaves it (a claimed trial stays running).
struct killed {};

// The finished trials as an uninterrupted run holds them: interrupted attempts dropped, each
// re-run in its original's place; params with the provenance, seed and objectives only. A
// promotion's source (a trial number, which interrupted attempts shift) is given as the source's
// place in that order.
using logical_trial = std::tuple<std::string, std::uint64_t, std::vector<double>>;
std::vector<logical_trial> in_proposal_order(const std::vector<search::trial_record>& trials) {
  std::vector<logical_trial> out;
  const search::detail::study_census census(trials);
  std::map<std::int64_t, std::size_t> place;
  const auto order = census.in_proposal_order();
  for (std::size_t i = 0; i < order.size(); ++i) place[order[i]->number] = i;
  for (const auto* t : order)
    if (t->state == search::trial_state::complete) {
      nlohmann::json key = {{"params", t->params}, {"origin", t->provenance.origin}};
      if (t->provenance.source) key["source"] = place.at(*t->provenance.source);
      out.emplace_back(key.dump(), t->seed, *t->objectives);
    }
  return out;
}

}  // namespace

TEST_CASE("study driver: a study killed at any step and resumed proposes and records what an uninterrupted one does",
          "[search][study][resume][faults]") {
  autopeft::testing::scratch_dir dir("study-kills");
  const auto o = small_study(14);
  std::vector<logical_trial> reference;
  {
    auto store = search::study_store::open(dir / "reference.db");
    const auto study = store.create_study("s", {}, peft_objectives(), 21);
    analytic_evaluator f;
    search::study_driver<S>(o).run(store, study, f);
    reference = in_proposal_order(store.trials(study));
    REQUIRE(reference.size() == 14);
  }
  // Kill points: the n-th event of a run, for events of each kind (a trial started and running,
  // a trial's result committed, a batch enqueued), several kills per study.
  using kind = search::study_event::kind;
  for (const auto [what, every] : {std::pair{kind::trial_started, 3}, std::pair{kind::trial_finished, 2},
                                   std::pair{kind::proposed, 1}, std::pair{kind::trial_started, 2}}) {
    DYNAMIC_SECTION("killed at every " << every << " event(s) of kind " << static_cast<int>(what)) {
      const auto path = dir / ("killed-" + std::to_string(static_cast<int>(what)) + "-" + std::to_string(every) + ".db");
      int kills = 0;
      for (int attempt = 0; attempt < 200; ++attempt) {
        auto store = search::study_store::open(path);
        const auto studies = store.list_studies();
        const auto study = studies.empty() ? store.create_study("s", {}, peft_objectives(), 21) : studies.front();
        const auto before = store.trials(study);
        analytic_evaluator f;
        int seen = 0;
        try {
          search::study_driver<S>(o).run(store, study, f, [&](const search::study_event& e) {
            if (e.what == what && ++seen == every) throw killed{};
          });
          break;
        } catch (const killed&) {
          ++kills;
        }
        // No finished trial changed.
        const auto after = store.trials(study);
        for (const auto& b : before)
          if (b.state == search::trial_state::complete || b.state == search::trial_state::failed) {
            const auto& a = after[static_cast<std::size_t>(b.number)];
            CHECK(a.state == b.state);
            CHECK(a.objectives == b.objectives);
            CHECK(a.finished == b.finished);
          }
        CHECK(store.integrity_check().ok);
      }
      CHECK(kills >= 5);
      auto store = search::study_store::open(path);
      const auto trials = store.trials(store.load_study("s"));
      CHECK((in_proposal_order(trials) == reference));  // a tuple has no Catch2 printer
    }
  }
}

TEST_CASE("study_store::enqueue_all adds a batch in one transaction", "[search][store]") {
  autopeft::testing::scratch_dir dir("enqueue-all");
  auto store = search::study_store::open(dir / "s.db");
  const auto study = store.create_study("s", {}, peft_objectives());
  CHECK(store.enqueue_all(study, {{{{"a", 1}}, 7}, {{{"a", 2}}, 8}}) == std::vector<std::int64_t>{0, 1});
  // A bad member fails the whole batch before anything is written.
  CHECK_THROWS_WITH(store.enqueue_all(study, {{{{"a", 3}}, 9}, {nlohmann::json::array(), 10}}),
                    Catch::Contains("params must be a JSON object"));
  const auto trials = store.trials(study);
  REQUIRE(trials.size() == 2);
  CHECK(trials[1].seed == 8);
  CHECK(trials[1].state == search::trial_state::waiting);
}

TEST_CASE("a trial that runs out of memory fails with a reason that says so, and the study goes on",
          "[search][study][faults]") {
  autopeft::testing::scratch_dir dir("study-oom");
  auto store = search::study_store::open(dir / "s.db");
  const auto study = store.create_study("oom", {}, peft_objectives(), 5);
  struct out_of_memory : analytic_evaluator {
    search::evaluation evaluate(const autopeft::space::configuration& c, std::uint64_t seed) {
      auto r = analytic_evaluator::evaluate(c, seed);
      if (calls == 2) throw std::bad_alloc();
      if (calls == 4) TORCH_CHECK_WITH(OutOfMemoryError, false, "CUDA out of memory. Tried to allocate 20.00 GiB");
      if (calls == 6) TORCH_CHECK(false, "DefaultCPUAllocator: not enough memory: you tried to allocate 1099511627776 bytes.");
      return r;
    }
  } f;
  const auto summary = search::study_driver<S>(small_study(10)).run(store, study, f);
  CHECK(summary.complete == 7);
  CHECK(summary.failed == 3);
  CHECK(summary.budget_exhausted);
  const auto trials = store.trials(study);
  REQUIRE(trials.size() == 10);
  for (const auto i : {1, 3, 5}) {
    INFO("trial " << i << ": " << trials[i].error.value_or(""));
    CHECK(trials[i].state == search::trial_state::failed);
    CHECK_THAT(trials[i].error.value_or(""), Catch::StartsWith("out of memory") && Catch::Contains("lower the batch size") &&
                                                 !Catch::Contains("Exception raised from"));
  }
  CHECK_THAT(trials[1].error.value_or(""), Catch::Contains("bad_alloc"));
  CHECK_THAT(trials[3].error.value_or(""), Catch::Contains("Tried to allocate 20.00 GiB"));
  CHECK_THAT(trials[5].error.value_or(""), Catch::Contains("not enough memory"));
  CHECK(store.integrity_check().ok);
}

TEST_CASE("a full disk under the store stops the study with a clear error; with space back it resumes, losing nothing",
          "[search][study][store][faults]") {
  autopeft::testing::scratch_dir dir("study-full-disk");
  const auto path = dir / "full.db";
  std::vector<search::trial_record> before;
  bool failed_writing_a_result = false;
  {
    auto store = search::study_store::open(path);
    const auto study = store.create_study("disk", {}, peft_objectives(), 3);
    analytic_evaluator f;
    search::study_driver<S>(small_study(6)).run(store, study, f);
    before = store.trials(study);
  }
  {
    // The disk "fills up": no page beyond the file's present size (PRAGMA max_page_count), and
    // each result now carries 20 kB, more than the free room in the present pages.
    auto store = search::study_store::open(path, {.max_file_bytes = 1});
    const auto study = store.load_study("disk");
    analytic_evaluator f;
    f.extra_text = std::string(20000, 'x');
    try {
      search::study_driver<S>(small_study(12)).run(store, study, f);
      FAIL("the study went on past a full disk");
    } catch (const autopeft::file_error& e) {
      CHECK_THAT(e.what(), Catch::Contains(path.string()) && Catch::Contains("the disk is full") &&
                               Catch::Contains("no finished trial was lost") && Catch::Contains("resume"));
    }
    // Where it failed: writing a result (the trial is left running) or, with less room, a batch.
    failed_writing_a_result = f.calls >= 1;
  }
  auto store = search::study_store::open(path);
  CHECK(store.integrity_check().ok);
  const auto study = store.load_study("disk");
  const auto now = store.trials(study);
  for (const auto& b : before) {
    const auto& a = now[static_cast<std::size_t>(b.number)];
    CHECK(a.state == b.state);
    CHECK(a.objectives == b.objectives);
    CHECK(a.extra == b.extra);
    CHECK(a.finished == b.finished);
  }
  // The trial whose result could not be written is running, as after a kill: resume re-runs it.
  analytic_evaluator f;
  const auto summary = search::study_driver<S>(small_study(12)).run(store, study, f);
  CHECK(summary.complete == 12);
  CHECK(summary.interrupted == (failed_writing_a_result ? 1 : 0));
  CHECK(store.integrity_check().ok);
}

namespace {

// The analytic landscape seen through a fidelity: at a fraction s of the training budget the
// metric is shrunk towards 0 by a configuration-dependent factor (prefixes learn slowest), so
// low rungs misrank as short training does.
struct multi_fidelity_evaluator : analytic_evaluator {
  std::vector<std::int64_t> levels;
  search::evaluation evaluate(const autopeft::space::configuration& c, std::uint64_t seed) {
    return analytic_evaluator::evaluate(c, seed);
  }
  search::evaluation evaluate(const autopeft::space::configuration& c, std::uint64_t seed, const search::trial_fidelity& f) {
    levels.push_back(f.level);
    auto e = analytic_evaluator::evaluate(c, seed);
    const double s = f.resources.at("fraction").get<double>();
    const double slow = S::to_json(c)["pt"].get<double>() > 0 ? 0.5 : 0.1;
    e.objectives[0] *= 1 - slow * (1 - s);
    return e;
  }
};

search::study_options multi_fidelity_study(std::int64_t trials) {
  auto o = small_study(trials);
  o.initial_trials = 6;
  o.fidelities = {{.resources = {{"fraction", 1.0 / 9}}, .cost = 1.0 / 9},
                  {.resources = {{"fraction", 1.0 / 3}}, .cost = 1.0 / 3},
                  {.resources = {{"fraction", 1.0}}, .cost = 1.0}};
  return o;
}

// A complete trial of configuration `params` at rung `level` with objectives `y`.
std::int64_t record(search::study_store& store, const search::study_record& study, nlohmann::json params, std::int64_t level,
                    std::vector<double> y) {
  const auto n = store.enqueue(study, params, 1, search::trial_fidelity{.level = level}, {.origin = "initial"});
  REQUIRE(store.claim(study)->number == n);
  store.complete(study, n, y);
  return n;
}

nlohmann::json config(int sa, int pa, int pt, bool l0 = true, bool l1 = true) {
  return {{"sa", sa}, {"pa", pa}, {"pt", pt}, {"layers", {l0, l1}}};
}

}  // namespace

TEST_CASE("multi-fidelity: of every eta configurations complete at a rung the best go up, ranked by front then hypervolume contribution",
          "[search][study][fidelity]") {
  autopeft::testing::scratch_dir dir("promotions");
  auto store = search::study_store::open(dir / "p.db");
  const auto study = store.create_study("s", {}, peft_objectives(), 3);
  // Front {B, C, A}: exclusive hypervolume contributions (reference [0, 100]) B 6.4 > C 3.5 >
  // A 2.0; D, E, F are dominated.
  const auto A = record(store, study, config(3, 0, 0), 0, {0.90, 10});
  const auto B = record(store, study, config(1, 0, 0), 0, {0.80, 2});
  const auto C = record(store, study, config(6, 0, 0), 0, {0.95, 30});
  record(store, study, config(0, 1, 0), 0, {0.70, 5});
  record(store, study, config(0, 3, 0), 0, {0.60, 20});
  record(store, study, config(0, 6, 0), 0, {0.50, 40});
  auto o = multi_fidelity_study(100);
  const search::study_driver<S> driver(o);

  // Six complete at rung 0 and eta = 3: two promotions, B then C; A waits.
  CHECK(driver.enqueue_proposals(store, study, 5) == 2);
  auto trials = store.trials(study);
  REQUIRE(trials.size() == 8);
  CHECK(trials[6].provenance.source == B);
  CHECK(trials[7].provenance.source == C);
  for (int i : {6, 7}) {
    CHECK(trials[static_cast<std::size_t>(i)].provenance.origin == "promotion");
    CHECK(trials[static_cast<std::size_t>(i)].fidelity == o.rung(1));
    CHECK(search::configuration_key(trials[static_cast<std::size_t>(i)].params) ==
          search::configuration_key(trials[static_cast<std::size_t>(i == 6 ? B : C)].params));
  }
  // Nothing more to promote: the next proposals are new configurations at rung 0.
  CHECK(driver.enqueue_proposals(store, study, 1) == 1);
  trials = store.trials(study);
  CHECK(trials.back().fidelity == o.rung(0));
  CHECK_FALSE(trials.back().provenance.source.has_value());
  (void)A;
}

TEST_CASE("multi-fidelity: the Pareto set and the hypervolume take each configuration at the highest rung it reached",
          "[search][study][fidelity]") {
  autopeft::testing::scratch_dir dir("highest-rung");
  auto store = search::study_store::open(dir / "h.db");
  const auto study = store.create_study("s", {}, peft_objectives());
  // X looks best at rung 0 and is worse at rung 1; Y was only seen at rung 0.
  record(store, study, config(3, 0, 0), 0, {0.95, 10});
  const auto y = record(store, study, config(0, 3, 0), 0, {0.80, 10});
  const auto x1 = record(store, study, config(3, 0, 0), 1, {0.60, 10});
  const auto front = search::pareto_trials(study, store.trials(study));
  REQUIRE(front.size() == 1);
  CHECK(front[0].number == y);
  const auto stands = search::highest_fidelity(store.trials(study));
  REQUIRE(stands.size() == 2);
  CHECK(stands[0].number == y);
  CHECK(stands[1].number == x1);
  // Hypervolume of {Y (0.8, 10)} against [0, 100]: the rung-0 0.95 of X no longer counts.
  CHECK(search::study_hypervolume(study, store.trials(study), {0.0, 100.0}) == Approx(0.80 * 90));
}

TEST_CASE("multi-fidelity: a study promotes as successive halving, each trial at its rung; killed and resumed it equals an uninterrupted one",
          "[search][study][fidelity][resume][faults]") {
  autopeft::testing::scratch_dir dir("mf-kills");
  const auto o = multi_fidelity_study(20);
  std::vector<logical_trial> reference;
  std::vector<search::trial_record> reference_trials;
  {
    auto store = search::study_store::open(dir / "reference.db");
    const auto study = store.create_study("s", {}, peft_objectives(), 21);
    multi_fidelity_evaluator f;
    search::study_driver<S>(o).run(store, study, f);
    reference_trials = store.trials(study);
    reference = in_proposal_order(reference_trials);
    REQUIRE(reference.size() == 20);
    // The evaluator saw each trial's rung, and promotions reached the top rung.
    std::vector<std::int64_t> recorded;
    for (const auto& t : reference_trials) recorded.push_back(t.fidelity.value().level);
    CHECK(f.levels == recorded);
    CHECK(std::count(recorded.begin(), recorded.end(), 2) >= 1);
  }
  // Successive halving: at most floor(complete / eta) configurations of a rung went up, each
  // from a complete trial of the same configuration one rung below.
  for (std::int64_t r = 0; r < 2; ++r) {
    std::int64_t complete = 0, promoted = 0;
    for (const auto& t : reference_trials) {
      if (t.fidelity->level == r && t.state == search::trial_state::complete) ++complete;
      if (t.fidelity->level == r + 1) {
        ++promoted;
        const auto& from = reference_trials.at(static_cast<std::size_t>(t.provenance.source.value()));
        CHECK(from.fidelity->level == r);
        CHECK(from.state == search::trial_state::complete);
        CHECK(search::configuration_key(from.params) == search::configuration_key(t.params));
      }
    }
    CHECK(promoted >= 1);
    CHECK(promoted <= complete / o.eta);
  }
  for (const auto every : {2, 3}) {
    DYNAMIC_SECTION("killed at every " << every << " trial starts") {
      const auto path = dir / ("killed-" + std::to_string(every) + ".db");
      int kills = 0;
      for (int attempt = 0; attempt < 200; ++attempt) {
        auto store = search::study_store::open(path);
        const auto studies = store.list_studies();
        const auto study = studies.empty() ? store.create_study("s", {}, peft_objectives(), 21) : studies.front();
        multi_fidelity_evaluator f;
        int seen = 0;
        try {
          search::study_driver<S>(o).run(store, study, f, [&](const search::study_event& e) {
            if (e.what == search::study_event::kind::trial_started && ++seen == every) throw killed{};
          });
          break;
        } catch (const killed&) {
          ++kills;
        }
      }
      CHECK(kills >= 5);
      auto store = search::study_store::open(path);
      CHECK((in_proposal_order(store.trials(store.load_study("s"))) == reference));
    }
  }
}

TEST_CASE("multi-fidelity: initial_configurations_at_top_rung runs the seeded configurations at the top rung, and only them",
          "[search][study][fidelity]") {
  autopeft::testing::scratch_dir dir("mf-anchors");
  const auto first = S::from_json(config(768, 0, 0));
  const auto second = S::from_json(config(0, 1, 0, false, true));
  for (const bool top : {false, true}) {
    auto o = multi_fidelity_study(12);
    o.initial_configurations = {first, second, first};  // the repeat is skipped: two anchors
    o.initial_configurations_at_top_rung = top;
    auto store = search::study_store::open(dir / (top ? "top.db" : "first.db"));
    const auto study = store.create_study("s", {}, peft_objectives(), 5);
    multi_fidelity_evaluator f;
    search::study_driver<S>(o).run(store, study, f);
    const auto trials = store.trials(study);
    REQUIRE(trials.size() == 12);
    CHECK(S::hash(search::configuration_of<S>(trials[0], "test")) == S::hash(first));
    CHECK(S::hash(search::configuration_of<S>(trials[1], "test")) == S::hash(second));
    for (std::size_t i = 0; i < trials.size(); ++i) {
      if (trials[i].provenance.origin != "initial") continue;
      // The anchors at the top rung (2) when asked, every other initial point at rung 0.
      CHECK(trials[i].fidelity.value().level == (top && i < 2 ? 2 : 0));
    }
    // An anchor at the top rung is never promoted again.
    for (const auto& t : trials)
      if (t.provenance.source) CHECK((!top || *t.provenance.source >= 2));
  }
}

TEST_CASE("multi-fidelity: max_cost stops the study once the summed rung costs reach it", "[search][study][fidelity]") {
  autopeft::testing::scratch_dir dir("mf-cost");
  auto o = multi_fidelity_study(1000);
  o.max_cost = 2.0;
  auto store = search::study_store::open(dir / "c.db");
  const auto study = store.create_study("s", {}, peft_objectives(), 4);
  multi_fidelity_evaluator f;
  const auto summary = search::study_driver<S>(o).run(store, study, f);
  CHECK(summary.budget_exhausted);
  double spent = 0, last = 0;
  for (const auto& t : store.trials(study))
    if (search::is_finished(t.state)) {
      spent += t.fidelity->cost;
      last = t.fidelity->cost;
    }
  CHECK(spent >= 2.0);
  CHECK(spent - last < 2.0);  // it stopped at the first trial that reached the budget
}

TEST_CASE("multi-fidelity: an evaluator without a fidelity overload fails the trial with what to do", "[search][study][fidelity]") {
  autopeft::testing::scratch_dir dir("mf-plain");
  auto store = search::study_store::open(dir / "m.db");
  const auto study = store.create_study("s", {}, peft_objectives());
  store.enqueue(study, config(1, 0, 0), 1, search::trial_fidelity{.level = 1});
  const auto t = store.claim(study);
  analytic_evaluator plain;
  const auto e = search::run_trial<S>(store, study, *t, plain);
  CHECK(e.state == search::trial_state::failed);
  CHECK_THAT(e.error, Catch::Contains("takes no fidelity") && Catch::Contains("multi_fidelity_evaluator"));
}

TEST_CASE("retrain_correlation: Spearman's rho of the search's metric against the re-trained mean over the Pareto set",
          "[search][study][fidelity]") {
  autopeft::testing::scratch_dir dir("retrain-correlation");
  auto store = search::study_store::open(dir / "r.db");
  const auto study = store.create_study("s", {}, peft_objectives());
  // A Pareto set of three (metric rising with cost), re-trained in the opposite order.
  const auto a = record(store, study, config(1, 0, 0), 1, {0.60, 1});
  const auto b = record(store, study, config(3, 0, 0), 1, {0.70, 2});
  const auto c = record(store, study, config(6, 0, 0), 1, {0.80, 3});
  CHECK(search::retrain_correlation(store, study).n == 0);
  const auto fin = store.create_companion(study, "final", nlohmann::json::object());
  for (const auto& [source, metric] : {std::pair{a, 0.9}, std::pair{b, 0.8}, std::pair{c, 0.7}}) {
    const auto n = store.enqueue(fin, nlohmann::json::object(), 1, std::nullopt, {.origin = "retrain", .source = source, .seed_index = 0});
    REQUIRE(store.claim(fin)->number == n);
    store.complete(fin, n, {metric, 1.0});
  }
  const auto r = search::retrain_correlation(store, study);
  CHECK(r.n == 3);
  CHECK(r.rho == Approx(-1.0));
}

TEST_CASE("retrain_pareto: every Pareto trial k times with distinct seeds, paired across trials; a second call adds nothing", "[search][study][retrain]") {
  autopeft::testing::scratch_dir dir("retrain");
  auto store = search::study_store::open(dir / "r.db");
  const auto study = store.create_study("s", {}, peft_objectives(), 9);
  analytic_evaluator f;
  search::study_driver<S>(small_study(8)).run(store, study, f);
  const auto front = search::pareto_trials(study, store.trials(study));
  REQUIRE_FALSE(front.empty());
  const auto rows = search::retrain_pareto<S>(store, study, f, {.seeds = 4});
  REQUIRE(rows.size() == front.size());
  const auto runs = store.trials(store.load_study("s:final"));
  CHECK(runs.size() == 4 * front.size());
  // Within a trial the k seeds differ (seed indices 2k and 2k + 1 once shared a seed); the
  // k-th run of every trial has the same seed, final_seed(study seed, k), as the baselines'.
  std::map<std::int64_t, std::set<std::uint64_t>> seeds_of_trial;
  for (const auto& t : runs) {
    const auto k = t.provenance.seed_index.value();
    CHECK(t.seed == search::final_seed(study.seed, k));
    CHECK(t.provenance.origin == "retrain");
    seeds_of_trial[t.provenance.source.value()].insert(t.seed);
  }
  CHECK(seeds_of_trial.size() == front.size());
  for (const auto& [trial, seeds] : seeds_of_trial) CHECK(seeds.size() == 4);
  for (const auto& r : rows) CHECK(r.runs == 4);
  search::retrain_pareto<S>(store, study, f, {.seeds = 4});
  CHECK(store.trials(store.load_study("s:final")).size() == runs.size());
}
