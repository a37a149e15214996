// Faults a long search meets, injected: the process dies at any step (a resumed study then
// proposes and records exactly what an uninterrupted one does), a trial runs out of memory (a
// failed trial that says so; the study goes on), and the disk under the store fills up (a clear
// error naming the store; once space is back the store is sound, nothing finished is lost, and
// the study resumes). The NaN loss and a thrown exception are in test_study_driver.cpp.
#include <autopeft/search.hpp>
#include <autopeft/space/spaces/autopeft_space.hpp>

#include "../support/scratch_dir.hpp"

#include <c10/util/Exception.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <map>
#include <new>
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
// re-run in its original's place; params, seed and objectives only.
using logical_trial = std::tuple<std::string, std::uint64_t, std::vector<double>>;
std::vector<logical_trial> in_proposal_order(const std::vector<search::trial_record>& trials) {
  std::vector<logical_trial> out;
  const search::detail::study_census census(trials);
  for (const auto* t : census.in_proposal_order())
    if (t->state == search::trial_state::complete) out.emplace_back(t->params.dump(), t->seed, *t->objectives);
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
