// The C++ tutorial's program (docs/tutorial_study.md): an AutoPEFT study driven from C++ with
// the library's parts, and one part replaced by our own.
//
//   study_tutorial [--backbone DIR | --micro] [--trials N] [--out DIR]
//
// Without --backbone it uses the cached default backbone (built on first use, a few minutes);
// --micro pretrains a very small backbone in a few seconds instead (what the test does).
#include <autopeft/data/embedded_benchmark.hpp>
#include <autopeft/search.hpp>
#include <autopeft/space/spaces/autopeft_space.hpp>
#include <autopeft/train.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

using namespace autopeft;

// [space] AutoPEFT's space for a 2-layer backbone: SA, PA and PT sizes and a switch per layer.
using Space = space::autopeft_space<2>;
// [space]

// [evaluator] Our own evaluator wraps the library's: it adds a third number to each trial
// (the wall time of one training step) without changing the objectives.
struct timed_evaluator {
  search::peft_evaluator<Space>& inner;
  search::evaluation evaluate(const space::configuration& c, std::uint64_t seed) {
    auto r = inner.evaluate(c, seed);
    r.extra["ms_per_step"] = 1000.0 * r.extra["step_seconds"].get<double>();
    return r;
  }
};
static_assert(search::trial_evaluator<timed_evaluator>);
// [evaluator]

int main(int argc, char** argv) try {
  std::string backbone_dir, out = "study-tutorial";
  bool micro = false;
  std::int64_t trials = 12;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--micro") micro = true;
    else if (a == "--backbone" && i + 1 < argc) backbone_dir = argv[++i];
    else if (a == "--trials" && i + 1 < argc) trials = std::stoll(argv[++i]);
    else if (a == "--out" && i + 1 < argc) out = argv[++i];
    else throw error("unknown argument '" + a + "' (use --backbone DIR | --micro, --trials N, --out DIR)");
  }
  std::filesystem::create_directories(out);

  // [backbone] A pretrained backbone kept in memory for the whole study.
  std::filesystem::path dir = backbone_dir;
  if (micro) {
    auto recipe = train::backbone_recipe::tiny();
    recipe.name = "micro";
    recipe.pretraining.model.hidden_size = 32;
    recipe.pretraining.model.num_attention_heads = 2;
    recipe.pretraining.model.intermediate_size = 64;
    recipe.pretraining.max_steps = 20;
    recipe.pretraining.train_batch_size = 16;
    recipe.tokenizer.vocab_size = 1000;
    dir = std::filesystem::path(out) / "micro-backbone";
    if (!std::filesystem::exists(dir / train::backbone_manifest::file_name)) train::pretrain_backbone(recipe, dir);
  } else if (dir.empty()) {
    dir = train::default_backbone();
  }
  const auto backbone = train::pretrained_backbone::load(dir);
  // [backbone]

  // [task] A task of the embedded benchmark and the low-fidelity trial budget.
  const auto bench = data::embedded_benchmark::build();
  const auto& task = bench.at("wn_pos");
  train::trainer_options low;
  low.max_train_samples = 1000;
  low.num_train_epochs = 2;
  low.learning_rate = 2e-3;
  low.warmup_ratio = 0.1;
  low.max_seq_length = 32;
  search::peft_evaluator<Space> peft(backbone, task, low, space::autopeft_base_plan<2>());
  timed_evaluator evaluator{peft};
  // [task]

  // [study] The store, the study and the driver: Sobol design, then qNEHVI batches of 4.
  auto store = search::study_store::open(std::filesystem::path(out) / "study.db");
  std::optional<search::study_record> study;
  for (auto& s : store.list_studies())
    if (s.name == "tutorial") study = s;  // a rerun resumes the same study
  if (!study) study = store.create_study("tutorial", {{"task", "wn_pos"}}, peft.objectives(), /*seed=*/7);

  search::study_options o;
  o.initial_trials = 6;
  o.batch_size = 4;
  o.max_trials = trials;
  o.reference_point = {0.25, 26.0};  // chance accuracy on 4 classes, 26 % parameters
  o.infeasible = [&](const space::configuration& c) { return peft.infeasible(c); };
  const search::study_driver<Space> driver(o);  // the kernel defaults to Matern-5/2
  const auto summary = driver.run(store, *study, evaluator, [](const search::study_event& e) {
    if (e.what == search::study_event::kind::trial_finished)
      std::printf("trial %lld: %s%s\n", static_cast<long long>(e.trial),
                  e.state == search::trial_state::complete ? "complete" : "failed: ", e.error.c_str());
  });
  std::printf("%lld complete, %lld failed, hypervolume %.4f\n", static_cast<long long>(summary.complete),
              static_cast<long long>(summary.failed), summary.hypervolume);
  // [study]

  // [front] The Pareto set, re-trained with 2 seeds, and the report.
  for (const auto& t : search::pareto_trials(*study, store.trials(*study)))
    std::printf("front: trial %lld  accuracy %.4f  params %.3f%%  %.2f ms/step  %s\n", static_cast<long long>(t.number),
                (*t.objectives)[0], (*t.objectives)[1], t.extra["ms_per_step"].get<double>(),
                search::detail::visible_params(t.params).dump().c_str());
  for (const auto& r : search::retrain_pareto<Space>(store, *study, peft, {.seeds = 2}))
    std::printf("re-trained trial %lld: accuracy %.4f +- %.4f over %lld runs\n", static_cast<long long>(r.source),
                r.mean.empty() ? 0.0 : r.mean[0], r.std.empty() ? 0.0 : r.std[0], static_cast<long long>(r.runs));
  search::study_report_options ro;
  ro.reference = search::report_data::reference_point{.metric = 0.25, .pct_params = 26.0};
  ro.task_name = "wn_pos";
  search::write_report(search::study_report_data(store, *study, ro), std::filesystem::path(out) / "report.html");
  std::printf("report: %s\n", (std::filesystem::path(out) / "report.html").string().c_str());
  // [front]
  return summary.complete > 0 ? 0 : 1;
} catch (const std::exception& e) {
  std::cerr << "study_tutorial: " << e.what() << "\n";
  return 1;
}
