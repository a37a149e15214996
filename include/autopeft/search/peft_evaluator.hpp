#pragma once
// The ready-made trial_evaluator for PEFT searches: one model of the space's family, built once
// on a pretrained backbone that stays in memory; each trial rebuilds only the PEFT modules
// (reset_peft) and the task head, freezes the backbone, trains with the low-fidelity
// trainer_options (a train subset, few epochs or max_steps, the trial's seed) and scores dev.
//
// The task head trains with the PEFT modules; so does the pooler unless train_pooler(false):
// a masked-LM backbone leaves it at its initialisation, and a frozen random pooler in front of
// the classifier starves every configuration alike.
//
// Objectives, as AutoPEFT's: the best dev metric of the task (maximised) and the PEFT
// modules' trainable parameters in percent of the backbone's parameters (minimised). The task
// head is trained but, as in the paper, not counted; `extra` records it with the timings.
//
// Example:
//   using S = space::autopeft_space<2>;
//   auto backbone = train::pretrained_backbone::load(train::default_backbone());
//   train::trainer_options low;  low.max_train_samples = 2000;  low.num_train_epochs = 1;
//   search::peft_evaluator<S> eval(backbone, bench.at("wn_pos"), low, space::autopeft_base_plan<2>());
//   auto r = eval.evaluate(S::sample(rng), /*seed=*/7);   // {dev accuracy, % parameters}
#include <autopeft/data/task.hpp>
#include <autopeft/error.hpp>
#include <autopeft/model/sequence_classifier.hpp>
#include <autopeft/peft/prefix_tuning.hpp>
#include <autopeft/peft/prompt_tuning.hpp>
#include <autopeft/peft/trainable.hpp>
#include <autopeft/search/evaluation.hpp>
#include <autopeft/search/study_objective.hpp>
#include <autopeft/space/configuration.hpp>
#include <autopeft/space/family.hpp>
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

template <class Space>
class peft_evaluator {
 public:
  using family = space::family_t<Space>;

  /// `base` holds the options the space does not search (placement, scaling, MLP width).
  peft_evaluator(const train::pretrained_backbone& backbone, data::task task, train::trainer_options options,
                 family base = {})
      : task_(std::move(task)),
        tokenizer_(backbone.tokenizer()),
        options_(std::move(options)),
        base_(std::move(base)),
        model_(resident_model(backbone, task_.info.num_labels(), all_off(base_))) {
    options_.validate();
    model_->to(options_.device);
    for (const auto& p : model_->backbone->named_parameters())
      if (!peft::is_peft_parameter(p.key())) backbone_parameters_ += p.value().numel();
    for (const auto& p : model_->named_parameters())
      if (p.key().find("pooler.") != std::string::npos) pooler_initial_.emplace_back(p.key(), p.value().detach().clone());
  }

  /// The two objectives evaluate() returns, named after the task's metric.
  [[nodiscard]] std::vector<study_objective> objectives() const {
    return {{.name = data::to_string(task_.info.metric)}, {.name = "params_pct", .minimize = true}};
  }

  /// Trains `c` on the resident backbone with `seed` and returns {best dev metric, % params}.
  /// A pure function of (c, seed): every trial starts from the pretrained backbone, a fresh
  /// head and fresh PEFT modules, whatever ran before it.
  evaluation evaluate(const space::configuration& c, std::uint64_t seed) {
    torch::manual_seed(seed);
    // The pooler belongs to the resident backbone but trains with the head: put back its
    // pretrained weights, or each trial would start from the previous one's, and a trial's
    // result would depend on the trials before it (and differ after a resume).
    {
      torch::NoGradGuard no_grad;
      auto live = model_->named_parameters();
      for (const auto& [name, initial] : pooler_initial_) live[name].copy_(initial);
    }
    model_->reset_peft(space::to_plan(Space{}, c, base_));
    model_->init_head();
    model_->to(options_.device);
    peft::mark_trainable(model_);
    if (train_pooler_)
      for (auto& p : model_->named_parameters())
        if (p.key().find("pooler.") != std::string::npos) p.value().set_requires_grad(true);
    std::int64_t peft_params = 0, head_params = 0;
    for (const auto& p : model_->named_parameters()) {
      if (!p.value().requires_grad()) continue;
      if (peft::is_peft_parameter(p.key())) peft_params += p.value().numel();
      else head_params += p.value().numel();
    }
    auto o = options_;
    o.seed = seed;
    const auto r = train::trainer(o).fit(model_, task_, tokenizer_, progress_);
    const double pct = 100.0 * static_cast<double>(peft_params) / static_cast<double>(backbone_parameters_);
    return {.objectives = {r.best_metric, pct},
            .extra = {{"final_metric", r.final_metric},
                      {"best_step", r.best_step},
                      {"steps", r.steps},
                      {"peft_parameters", peft_params},
                      {"head_parameters", head_params},
                      {"train_examples", r.train_examples},
                      {"eval_examples", r.eval_examples},
                      {"step_seconds", r.step_seconds},
                      {"final_loss", r.loss_history.empty() ? 0.0 : r.loss_history.back()}}};
  }

  /// Why `c` cannot run on this backbone, or "" when it can: virtual tokens (prefix or prompt)
  /// take positions ahead of the input, so with max_seq_length they must fit the backbone's
  /// max_position_embeddings. The study driver skips such configurations (study_options::infeasible).
  [[nodiscard]] std::string infeasible(const space::configuration& c) const {
    const auto plan = space::to_plan(Space{}, c, base_);
    bool any_layer = false;
    for (std::int64_t i = 0; i < model_->config().num_hidden_layers; ++i) any_layer = any_layer || plan.layer_on(i);
    std::int64_t virtual_tokens = 0;
    if constexpr (family::template contains<peft::prefix_tuning>)
      if (plan.template is_enabled<peft::prefix_tuning>() && any_layer)
        virtual_tokens += plan.template get<peft::prefix_tuning>().num_virtual_tokens();
    if constexpr (family::template contains<peft::prompt_tuning>)
      if (plan.template is_enabled<peft::prompt_tuning>()) virtual_tokens += plan.template get<peft::prompt_tuning>().num_virtual_tokens();
    const auto positions = model_->config().max_position_embeddings;
    const auto needed = virtual_tokens + static_cast<std::int64_t>(options_.max_seq_length);
    if (virtual_tokens > 0 && needed > positions)
      return std::to_string(virtual_tokens) + " virtual tokens + max_seq_length " + std::to_string(options_.max_seq_length) +
             " need " + std::to_string(needed) + " positions; the backbone has " + std::to_string(positions);
    return {};
  }

  /// Whether the pooler trains with the head (default: yes).
  void train_pooler(bool on) { train_pooler_ = on; }

  /// Called by the trainer within each trial (a progress bar).
  void set_progress(train::progress_callback progress) { progress_ = std::move(progress); }

  [[nodiscard]] std::int64_t backbone_parameters() const noexcept { return backbone_parameters_; }
  [[nodiscard]] const data::task& task() const noexcept { return task_; }
  [[nodiscard]] const train::trainer_options& options() const noexcept { return options_; }
  [[nodiscard]] train::trainer_options& options() noexcept { return options_; }
  [[nodiscard]] model::SequenceClassifier<family>& model() noexcept { return model_; }

 private:
  // The backbone with the head. What the checkpoint lacks (the head; the pooler, which masked-LM
  // pretraining leaves out) is drawn from a fixed seed, not from torch's global generator, which
  // LibTorch seeds at random in each process: so every process, the first run of a study and
  // each resumed one, starts its trials from the same weights. The caller's generator state is
  // kept.
  static model::SequenceClassifier<family> resident_model(const train::pretrained_backbone& backbone, std::int64_t labels,
                                                          const family& plan) {
    auto generator = at::detail::getDefaultCPUGenerator();
    const auto saved = generator.get_state();
    torch::manual_seed(0x5eed);
    auto m = backbone.sequence_classifier<family>(labels, plan);
    generator.set_state(saved);
    return m;
  }

  static family all_off(family f) {
    for (auto& e : f.enabled) e = false;
    return f;
  }

  data::task task_;
  data::wordpiece_tokenizer tokenizer_;
  train::trainer_options options_;
  family base_;
  model::SequenceClassifier<family> model_;
  std::int64_t backbone_parameters_ = 0;
  train::progress_callback progress_;
  bool train_pooler_ = true;
  std::vector<std::pair<std::string, torch::Tensor>> pooler_initial_;
};

}  // namespace autopeft::search
