#pragma once
// What every PEFT trial evaluator shares: one sequence classifier of a PEFT family, built once
// on a pretrained backbone that stays in memory. Each trial rebuilds only the PEFT modules
// (reset_peft) and the task head, puts back the pooler's initial weights, freezes the backbone,
// trains with the trainer options given and scores dev; so a trial is a pure function of
// (plan, seed, options), whatever ran before it. peft_evaluator (a space's configurations) and
// hand_designed_evaluator (the baselines) are thin layers over it.
//
// The task head trains with the PEFT modules; so does the pooler unless train_pooler(false): a
// masked-LM backbone leaves it at its initialisation, and a frozen random pooler in front of
// the classifier starves every configuration alike.
//
// The cost objective, params_pct, is 100 · (PEFT parameters) / (backbone parameters), where the
// PEFT parameters are, by cost_kind: the parameters the adapted model stores after training
// (default; a prefix's reparametrisation MLP is not stored, the prefix P·2·L·H it computes is:
// the AutoPEFT reference's pricing), or those that train. Unlike the reference's closed form
// 2·H·layers·(sa + pa + pt), the adapters' biases count: they are stored too, and the LoRA and
// (IA)³ baselines are priced by their true count. The task head trains but, as in the paper,
// is not counted; `extra` records it, both counts and the timings.
//
// Every trial also measures step_ms (mean wall milliseconds per optimiser step) and
// peak_memory_mb (train::peak_memory, reset as the trial starts) into `extra`; the extra
// objectives chosen (extra_objectives(...)) are appended to {metric, params_pct} in their order.
#include <autopeft/data/task.hpp>
#include <autopeft/error.hpp>
#include <autopeft/model/sequence_classifier.hpp>
#include <autopeft/peft/trainable.hpp>
#include <autopeft/search/study/cost_kind.hpp>
#include <autopeft/search/study/evaluation.hpp>
#include <autopeft/search/study/extra_objective.hpp>
#include <autopeft/search/store/study_objective.hpp>
#include <autopeft/train/peak_memory.hpp>
#include <autopeft/train/pretrained_backbone.hpp>
#include <autopeft/train/progress.hpp>
#include <autopeft/train/trainer.hpp>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace autopeft::search {

template <class Family>
class resident_classifier {
 public:
  /// `base`: the family's policies with their fixed options (every one is switched off here;
  /// each trial's plan switches on what it uses).
  resident_classifier(const train::pretrained_backbone& backbone, data::task task, train::trainer_options options,
                      Family base = {})
      : task_(std::move(task)),
        tokenizer_(backbone.tokenizer()),
        options_(std::move(options)),
        model_(resident_model(backbone, task_.info.num_labels(), all_off(std::move(base)))) {
    options_.validate();
    model_->to(options_.device);
    for (const auto& p : model_->backbone->named_parameters())
      if (!peft::is_peft_parameter(p.key())) backbone_parameters_ += p.value().numel();
    for (const auto& p : model_->named_parameters())
      if (p.key().find("pooler.") != std::string::npos) pooler_initial_.emplace_back(p.key(), p.value().detach().clone());
  }

  /// Trains `plan` with `seed` and trainer options `o` (the seed is set here) and returns {best
  /// dev metric, params_pct, the extra objectives chosen}. `what` names the configuration in
  /// errors. Throws autopeft::error, before training, when the built modules' stored count
  /// disagrees with the plan's closed form.
  evaluation train(const Family& plan, std::uint64_t seed, train::trainer_options o, const std::string& what) {
    // Before anything of this trial is allocated, so that its peak is this trial's.
    const train::peak_memory peak(o.device);
    torch::manual_seed(seed);
    // The pooler belongs to the resident backbone but trains with the head: put back its
    // pretrained weights, or each trial would start from the previous one's, and a trial's
    // result would depend on the trials before it (and differ after a resume).
    {
      torch::NoGradGuard no_grad;
      auto live = model_->named_parameters();
      for (const auto& [name, initial] : pooler_initial_) live[name].copy_(initial);
    }
    model_->reset_peft(plan);
    model_->init_head();
    model_->to(o.device);
    peft::mark_trainable(model_);
    if (train_pooler_)
      for (auto& p : model_->named_parameters())
        if (p.key().find("pooler.") != std::string::npos) p.value().set_requires_grad(true);
    const auto n = count_parameters(plan, what);
    o.seed = seed;
    const auto r = train::trainer(o).fit(model_, task_, tokenizer_, progress_);
    const auto priced = cost_ == cost_kind::stored ? n.stored : n.trainable;
    const double pct = 100.0 * static_cast<double>(priced) / static_cast<double>(backbone_parameters_);
    evaluation out{.objectives = {r.best_metric, pct},
                   .extra = {{"final_metric", r.final_metric},
                             {"best_step", r.best_step},
                             {"steps", r.steps},
                             {"peft_parameters", n.trainable},
                             {"trainable_parameters", n.trainable},
                             {"stored_parameters", n.stored},
                             {"head_parameters", n.head},
                             {"learning_rate", o.learning_rate},
                             {"train_examples", r.train_examples},
                             {"eval_examples", r.eval_examples},
                             {"step_seconds", r.step_seconds},
                             {"final_loss", r.loss_history.empty() ? 0.0 : r.loss_history.back()},
                             {std::string(to_string(extra_objective::step_ms)), 1000.0 * r.step_seconds}}};
    // A peak that cannot be measured is left out of `extra` with the reason, never guessed.
    if (peak.available()) out.extra[std::string(to_string(extra_objective::peak_memory_mb))] = peak.mebibytes();
    else out.extra["peak_memory_unavailable"] = peak.why_unavailable();
    for (const auto e : extra_objectives_) {
      const auto key = std::string(to_string(e));
      if (!out.extra.contains(key)) throw error("resident_classifier: " + what + ": objective " + key + ": " + peak.why_unavailable());
      out.objectives.push_back(out.extra[key].template get<double>());
    }
    return out;
  }

  /// The objectives train() returns: {metric of the task, params_pct, the extra objectives}.
  [[nodiscard]] std::vector<study_objective> objectives() const {
    std::vector<study_objective> out{{.name = data::to_string(task_.info.metric)}, {.name = "params_pct", .minimize = true}};
    for (const auto e : extra_objectives_) out.push_back(objective_of(e));
    return out;
  }

  /// The measurements appended to {metric, params_pct} as objectives, in this order (default:
  /// none). Throws autopeft::error when one repeats, or when peak_memory_mb cannot be measured
  /// on the options' device (train::peak_memory says why).
  void extra_objectives(std::vector<extra_objective> extras) {
    for (std::size_t i = 0; i < extras.size(); ++i)
      for (std::size_t j = 0; j < i; ++j)
        if (extras[i] == extras[j])
          throw error("extra_objectives: " + std::string(to_string(extras[i])) + " is listed twice; list each objective once");
    for (const auto e : extras)
      if (e == extra_objective::peak_memory_mb)
        if (const train::peak_memory probe(options_.device); !probe.available())
          throw error("extra_objectives: peak_memory_mb cannot be measured here: " + probe.why_unavailable());
    extra_objectives_ = std::move(extras);
  }
  [[nodiscard]] const std::vector<extra_objective>& extra_objectives() const noexcept { return extra_objectives_; }

  /// The closed-form params_pct of `plan` for the cost kind chosen, without building anything.
  [[nodiscard]] double cost(const Family& plan) const {
    const auto& config = model_->config();
    const auto n = cost_ == cost_kind::stored ? plan.stored_parameters(config) : plan.trainable_parameters(config);
    return 100.0 * static_cast<double>(n) / static_cast<double>(backbone_parameters_);
  }

  /// Which count prices a configuration (default cost_kind::stored).
  void cost(cost_kind kind) noexcept { cost_ = kind; }
  [[nodiscard]] cost_kind cost() const noexcept { return cost_; }
  /// Whether the pooler trains with the head (default: yes).
  void train_pooler(bool on) { train_pooler_ = on; }
  /// Called by the trainer within each trial (a progress bar).
  void set_progress(train::progress_callback progress) { progress_ = std::move(progress); }

  [[nodiscard]] std::int64_t backbone_parameters() const noexcept { return backbone_parameters_; }
  [[nodiscard]] const data::task& task() const noexcept { return task_; }
  [[nodiscard]] const train::trainer_options& options() const noexcept { return options_; }
  [[nodiscard]] train::trainer_options& options() noexcept { return options_; }
  [[nodiscard]] model::SequenceClassifier<Family>& model() noexcept { return model_; }
  [[nodiscard]] const model::SequenceClassifier<Family>& model() const noexcept { return model_; }

 private:
  // The backbone with the head. What the checkpoint lacks (the head; the pooler, which masked-LM
  // pretraining leaves out) is drawn from a fixed seed, not from torch's global generator, which
  // LibTorch seeds at random in each process: so every process, the first run of a study and
  // each resumed one, starts its trials from the same weights. The caller's generator state is
  // kept.
  static model::SequenceClassifier<Family> resident_model(const train::pretrained_backbone& backbone, std::int64_t labels,
                                                          const Family& plan) {
    auto generator = at::detail::getDefaultCPUGenerator();
    const auto saved = generator.get_state();
    torch::manual_seed(0x5eed);
    auto m = backbone.sequence_classifier<Family>(labels, plan);
    generator.set_state(saved);
    return m;
  }

  static Family all_off(Family f) {
    for (auto& e : f.enabled) e = false;
    return f;
  }

  struct parameter_counts {
    std::int64_t trainable = 0, stored = 0, head = 0;
  };

  // Counted from the built model, not from the closed forms, so that the check below catches a
  // closed form that drifted from the modules a policy builds: the stored count is the trainable
  // PEFT count with each folding module (prefix_encoder: the MLP and its P × H embedding) counted
  // as its stored form (the prefix, P·2·L·H) instead.
  parameter_counts count_parameters(const Family& plan, const std::string& what) const {
    parameter_counts n;
    for (const auto& p : model_->named_parameters()) {
      if (!p.value().requires_grad()) continue;
      if (peft::is_peft_parameter(p.key())) n.trainable += p.value().numel();
      else n.head += p.value().numel();
    }
    n.stored = n.trainable;
    Family::for_each_folding_module(*model_, [&](const std::string&, auto& m) {
      for (const auto& p : m.parameters()) n.stored -= p.requires_grad() ? p.numel() : 0;
      n.stored += m.stored_parameters();
    });
    if (const auto closed = plan.stored_parameters(model_->config()); n.stored != closed)
      throw error("resident_classifier: for " + what + " the built PEFT modules store " + std::to_string(n.stored) +
                  " parameters but the plan's closed form (stored_parameters) says " + std::to_string(closed) +
                  ": a policy's stored_parameters or its module's stored_parameters() disagrees with what it builds; "
                  "fix the closed form (peft/concepts.hpp)");
    return n;
  }

  data::task task_;
  data::wordpiece_tokenizer tokenizer_;
  train::trainer_options options_;
  model::SequenceClassifier<Family> model_;
  std::int64_t backbone_parameters_ = 0;
  train::progress_callback progress_;
  cost_kind cost_ = cost_kind::stored;
  bool train_pooler_ = true;
  std::vector<extra_objective> extra_objectives_;
  std::vector<std::pair<std::string, torch::Tensor>> pooler_initial_;
};

}  // namespace autopeft::search
