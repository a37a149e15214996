#pragma once
// The trial evaluator of the baselines: a configuration of hand_designed_space ({"method":
// "lora8", "lr": 0.003}) trains that hand-designed method (peft::hand_designed, sized for the
// backbone) at that learning rate on a resident backbone (search::resident_classifier), with
// the trainer options given (the re-training fidelity, so that the baselines and the re-trained
// Pareto set are measured alike). Objectives as peft_evaluator's: {best dev metric, params_pct},
// priced by the same cost_kind, and the same extra objectives when the study has them.
//
// Example:
//   search::hand_designed_evaluator baselines(backbone, task, final_options);
//   auto r = baselines.evaluate(search::hand_designed_space::from_json({{"method", "ia3"}, {"lr", 3e-3}}, "ia3"), 7);
#include <autopeft/peft/hand_designed.hpp>
#include <autopeft/search/study/cost_kind.hpp>
#include <autopeft/search/study/evaluation.hpp>
#include <autopeft/search/study/extra_objective.hpp>
#include <autopeft/search/study/hand_designed_space.hpp>
#include <autopeft/search/study/resident_classifier.hpp>
#include <autopeft/space/configuration.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace autopeft::search {

class hand_designed_evaluator {
 public:
  hand_designed_evaluator(const train::pretrained_backbone& backbone, data::task task, train::trainer_options options)
      : resident_(backbone, std::move(task), std::move(options)) {}

  /// Trains the method and rate of `c` with `seed`; returns {best dev metric, % params}.
  evaluation evaluate(const space::configuration& c, std::uint64_t seed) {
    const auto method = std::string(hand_designed_space::get<"method">(c));
    auto o = resident_.options();
    o.learning_rate = hand_designed_space::get<"lr">(c);
    return resident_.train(peft::hand_designed(method, resident_.model()->config()).plan, seed, o,
                           "baseline " + method);
  }

  /// The closed-form params_pct of a method (its rate does not matter).
  [[nodiscard]] double cost(const std::string& method) const {
    return resident_.cost(peft::hand_designed(method, resident_.model()->config()).plan);
  }

  void cost(cost_kind kind) noexcept { resident_.cost(kind); }
  /// As peft_evaluator's: measurements appended to {metric, params_pct}, so that the baselines'
  /// companion study records what the search study does.
  void extra_objectives(std::vector<extra_objective> extras) { resident_.extra_objectives(std::move(extras)); }
  [[nodiscard]] std::vector<study_objective> objectives() const { return resident_.objectives(); }
  void set_progress(train::progress_callback progress) { resident_.set_progress(std::move(progress)); }
  [[nodiscard]] std::int64_t backbone_parameters() const noexcept { return resident_.backbone_parameters(); }

 private:
  resident_classifier<peft::hand_designed_family> resident_;
};

}  // namespace autopeft::search
