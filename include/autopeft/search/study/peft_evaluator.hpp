#pragma once
// The ready-made trial_evaluator for PEFT searches: the configurations of a search space,
// trained on a resident pretrained backbone (search::resident_classifier: one model of the
// space's family built once; each trial rebuilds only the PEFT modules and the head, freezes
// the backbone, trains with the trainer_options and the trial's seed, and scores dev).
//
// Objectives, as AutoPEFT's: the best dev metric of the task (maximised) and params_pct, the
// PEFT modules' parameters in percent of the backbone's (minimised): by default those the
// adapted model stores after training (the prefix without its reparametrisation MLP, as the
// AutoPEFT reference prices it), or those that train (cost(cost_kind::trainable)); see
// resident_classifier.hpp. cost(c) gives a configuration's params_pct from the closed forms,
// without building or training anything (the study driver stratifies its initial design by it).
// extra_objectives({extra_objective::step_ms, ...}) appends measured objectives after these two.
//
// A dimension named "lr" (as in space::autopeft_lora_space) sets the trial's learning rate.
// A multi-fidelity study's rung grants resources {"train_samples": N (0: all), "epochs": E,
// "max_steps": S}, which replace the trainer options' own for that trial.
//
// Example:
//   using S = space::autopeft_space<2>;
//   auto backbone = train::pretrained_backbone::load(train::default_backbone());
//   train::trainer_options low;  low.max_train_samples = 2000;  low.num_train_epochs = 1;
//   search::peft_evaluator<S> eval(backbone, bench.at("wn_pos"), low, space::autopeft_base_plan<2>());
//   auto r = eval.evaluate(S::sample(rng), /*seed=*/7);   // {dev accuracy, % parameters}
//   eval.extra_objectives({search::extra_objective::step_ms});
//   auto study = store.create_study("wn_pos", config, eval.objectives());  // accuracy, params_pct, step_ms
#include <autopeft/data/task.hpp>
#include <autopeft/error.hpp>
#include <autopeft/search/study/cost_kind.hpp>
#include <autopeft/search/study/evaluation.hpp>
#include <autopeft/search/study/extra_objective.hpp>
#include <autopeft/search/study/resident_classifier.hpp>
#include <autopeft/search/store/study_objective.hpp>
#include <autopeft/search/store/trial_fidelity.hpp>
#include <autopeft/space/configuration.hpp>
#include <autopeft/space/family.hpp>
#include <autopeft/train/pretrained_backbone.hpp>
#include <autopeft/train/progress.hpp>
#include <autopeft/train/trainer.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace autopeft::search {

template <class Space>
class peft_evaluator {
 public:
  using family = space::family_t<Space>;

  /// `base` holds the options the space does not search (placement, scaling, MLP width).
  peft_evaluator(const train::pretrained_backbone& backbone, data::task task, train::trainer_options options,
                 family base = {})
      : base_(base), resident_(backbone, std::move(task), std::move(options), std::move(base)) {}

  /// The objectives evaluate() returns: the task's metric, params_pct, then the extra
  /// objectives chosen; what a study of this evaluator is created with.
  [[nodiscard]] std::vector<study_objective> objectives() const { return resident_.objectives(); }

  /// Measurements to minimise as well, appended to {metric, params_pct} in this order (default:
  /// none; see extra_objective.hpp). Every trial records both in `extra` either way. Throws
  /// autopeft::error when one repeats or peak_memory_mb cannot be measured on the device.
  void extra_objectives(std::vector<extra_objective> extras) { resident_.extra_objectives(std::move(extras)); }
  [[nodiscard]] const std::vector<extra_objective>& extra_objectives() const noexcept { return resident_.extra_objectives(); }

  /// Trains `c` on the resident backbone with `seed` and returns {best dev metric, % params}.
  /// A pure function of (c, seed): every trial starts from the pretrained backbone, a fresh
  /// head and fresh PEFT modules, whatever ran before it.
  evaluation evaluate(const space::configuration& c, std::uint64_t seed) {
    return resident_.train(space::to_plan(Space{}, c, base_), seed, options_for(c), "configuration " + Space::to_json(c).dump());
  }

  /// The same at a fidelity: the rung's resources replace the trainer options' training
  /// examples, epochs and steps.
  evaluation evaluate(const space::configuration& c, std::uint64_t seed, const trial_fidelity& f) {
    auto o = options_for(c);
    for (const auto& item : f.resources.items()) {
      const std::string key = item.key();
      const std::int64_t n = resource_count(f, key, item.value());
      if (key == "train_samples") o.max_train_samples = static_cast<std::size_t>(n);
      else if (key == "epochs") o.num_train_epochs = n, o.max_steps = -1;
      else if (key == "max_steps") o.max_steps = n > 0 ? n : -1;
      else
        throw error("fidelity level " + std::to_string(f.level) + ": unknown resource '" + key +
                    "'; peft_evaluator reads train_samples, epochs and max_steps");
    }
    return resident_.train(space::to_plan(Space{}, c, base_), seed, o,
                           "configuration " + Space::to_json(c).dump() + " at fidelity level " + std::to_string(f.level));
  }

  /// Why `c` cannot run on this backbone, or "" when it can: virtual tokens (prefix or prompt,
  /// peft::plan::virtual_tokens) take positions ahead of the input, so with max_seq_length they
  /// must fit the backbone's max_position_embeddings. The study driver skips such configurations
  /// (study_options::infeasible).
  [[nodiscard]] std::string infeasible(const space::configuration& c) const {
    const auto& config = resident_.model()->config();
    const auto virtual_tokens = space::to_plan(Space{}, c, base_).virtual_tokens(config);
    const auto positions = config.max_position_embeddings;
    const auto needed = virtual_tokens + static_cast<std::int64_t>(options().max_seq_length);
    if (virtual_tokens > 0 && needed > positions)
      return std::to_string(virtual_tokens) + " virtual tokens + max_seq_length " + std::to_string(options().max_seq_length) +
             " need " + std::to_string(needed) + " positions; the backbone has " + std::to_string(positions);
    return {};
  }

  /// The closed-form params_pct objective of `c` for the cost kind chosen, without building or
  /// training a model: what evaluate(c, seed) returns as its second objective; cheap enough to
  /// rank many candidates.
  [[nodiscard]] double cost(const space::configuration& c) const { return resident_.cost(space::to_plan(Space{}, c, base_)); }

  /// Which count prices a configuration (default cost_kind::stored).
  void cost(cost_kind kind) noexcept { resident_.cost(kind); }
  [[nodiscard]] cost_kind cost() const noexcept { return resident_.cost(); }
  /// Whether the pooler trains with the head (default: yes).
  void train_pooler(bool on) { resident_.train_pooler(on); }
  /// Called by the trainer within each trial (a progress bar).
  void set_progress(train::progress_callback progress) { resident_.set_progress(std::move(progress)); }

  [[nodiscard]] std::int64_t backbone_parameters() const noexcept { return resident_.backbone_parameters(); }
  [[nodiscard]] const data::task& task() const noexcept { return resident_.task(); }
  [[nodiscard]] const train::trainer_options& options() const noexcept { return resident_.options(); }
  [[nodiscard]] train::trainer_options& options() noexcept { return resident_.options(); }
  [[nodiscard]] model::SequenceClassifier<family>& model() noexcept { return resident_.model(); }

 private:
  static std::int64_t resource_count(const trial_fidelity& f, const std::string& key, const nlohmann::json& value) {
    if (!value.is_number_integer() || value.template get<std::int64_t>() < 0)
      throw error("fidelity level " + std::to_string(f.level) + ": resource '" + key + "' must be an integer >= 0, not " +
                  value.dump());
    return value.template get<std::int64_t>();
  }

  // The trainer options of `c`: the evaluator's, with the learning rate of an "lr" dimension.
  train::trainer_options options_for(const space::configuration& c) const {
    auto o = options();
    if constexpr (Space::has("lr")) o.learning_rate = static_cast<double>(Space::template get<"lr">(c));
    return o;
  }

  family base_;
  resident_classifier<family> resident_;
};

}  // namespace autopeft::search
