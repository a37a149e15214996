#pragma once
// Fine-tuning of a model::SequenceClassifier on a data::task, as HF's run_glue.py with Trainer:
// AdamW (multi_tensor_adamw) over the parameters that require grad (HF's weight-decay groups),
// linear warm-up and decay, gradient clipping, evaluation on dev with the task's metric, the
// best and the final metric kept.
//
// Which parameters train is the caller's choice, made before fit(): a fresh model trains every
// parameter (full fine-tuning); peft::mark_trainable(model) freezes the backbone and leaves the
// PEFT modules, the parameters selective policies train, and the head.
//
// For speed on a CPU the examples are tokenised once, batches group examples of similar length
// (group_by_length) and are padded only to their longest row, and dev runs sorted by length.
// Batch order and dropout of step s are drawn from (seed, s), as in mlm_pretrainer.
//
// On a GPU the loop never waits for the device: a batch with no padding goes in without an
// attention mask (flash attention), gradients are clipped on the device (clip_grad_norm), and
// losses are read back and checked for NaN every 16 steps rather than at each.
#include <autopeft/data/concepts.hpp>
#include <autopeft/data/encode_batch.hpp>
#include <autopeft/data/evaluate.hpp>
#include <autopeft/data/task.hpp>
#include <autopeft/error.hpp>
#include <autopeft/model/sequence_classifier.hpp>
#include <autopeft/train/adamw_param_groups.hpp>
#include <autopeft/train/autocast.hpp>
#include <autopeft/train/clip_grad_norm.hpp>
#include <autopeft/train/detail/seeds.hpp>
#include <autopeft/train/linear_schedule.hpp>
#include <autopeft/train/multi_tensor_adamw.hpp>
#include <autopeft/train/non_finite_loss.hpp>
#include <autopeft/train/progress.hpp>
#include <autopeft/train/trainer_options.hpp>

#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace autopeft::train {

struct train_result {
  double best_metric = 0;            ///< the best dev metric over the evaluations
  double final_metric = 0;           ///< the dev metric after the last step
  std::int64_t best_step = 0;
  std::vector<double> loss_history;  ///< one training loss per step
  std::vector<std::pair<std::int64_t, double>> eval_history;  ///< (step, dev metric)
  std::int64_t steps = 0;
  std::int64_t train_examples = 0, eval_examples = 0;
  std::int64_t trainable_parameters = 0;
  double seconds = 0;                ///< wall time of fit(), tokenising and evaluation included
  double step_seconds = 0;           ///< mean wall time of one training step
  double eval_seconds = 0;           ///< wall time of all evaluations
};

namespace detail {

/// Examples tokenised once: rows without padding, and their targets.
struct encoded_examples {
  std::vector<std::vector<std::int64_t>> ids, types;
  std::vector<std::int64_t> labels;  // classification
  std::vector<double> scores;        // regression
  [[nodiscard]] std::size_t size() const { return ids.size(); }
};

template <class Tokenizer>
encoded_examples encode_examples(const Tokenizer& tok, std::span<const data::example> examples,
                                 const data::task_info& info, std::size_t max_length, const char* split) {
  for (std::size_t i = 0; i < examples.size(); ++i) {
    const auto& e = examples[i];
    if (!info.regression && (e.label < 0 || e.label >= info.num_labels()))
      throw error("trainer: " + std::string(split) + " example " + std::to_string(i) + (e.id.empty() ? "" : " (id " + e.id + ")") +
                  " of task '" + info.name + "' has label " + std::to_string(e.label) + ", outside [0, " +
                  std::to_string(info.num_labels()) + "): is the split labelled?");
  }
  auto batch = data::encode_batch(tok, examples, {.max_length = max_length, .padding = data::padding_strategy::do_not_pad});
  encoded_examples out;
  out.ids = std::move(batch.input_ids);
  out.types = std::move(batch.token_type_ids);
  for (const auto& e : examples) {
    out.labels.push_back(e.label);
    out.scores.push_back(e.score);
  }
  return out;
}

/// Checks every token id (and the padding id) against the model's vocabulary and every token
/// type against its type vocabulary, once, on the host. The model checks its inputs only when
/// they are CPU tensors (model/embeddings.hpp): on a GPU that check would block the host on every
/// step, and an id out of range would surface as a CUDA device-side assert.
inline void check_token_ids(const encoded_examples& x, std::int64_t pad, const model::EncoderConfig& c,
                            const std::string& task, const char* split) {
  auto where = [&](std::size_t i) {
    return "trainer: " + std::string(split) + " example " + std::to_string(i) + " of task '" + task + "'";
  };
  if (pad < 0 || pad >= c.vocab_size)
    throw error("trainer: the tokenizer's padding id " + std::to_string(pad) +
                " lies outside the model's vocabulary [0, vocab_size=" + std::to_string(c.vocab_size) +
                "): the tokenizer is not the model's; use the tokenizer the backbone was trained with");
  for (std::size_t i = 0; i < x.size(); ++i) {
    for (const auto id : x.ids[i])
      if (id < 0 || id >= c.vocab_size)
        throw error(where(i) + " has token id " + std::to_string(id) + ", outside the model's vocabulary [0, vocab_size=" +
                    std::to_string(c.vocab_size) + "): the tokenizer is not the model's; use the tokenizer the backbone was "
                    "trained with, or a model whose vocab_size covers the tokenizer's vocabulary");
    for (const auto t : x.types[i])
      if (t < 0 || t >= c.type_vocab_size)
        throw error(where(i) + " has token type " + std::to_string(t) + ", outside the model's [0, type_vocab_size=" +
                    std::to_string(c.type_vocab_size) + "): a model with one token type (RoBERTa) needs a tokenizer "
                    "whose pair template gives every token type 0");
  }
}

/// Rows `idx` of `x`, right-padded to the longest.
struct collated {
  torch::Tensor input_ids, attention_mask, token_type_ids;  ///< [B, L] each, on the CPU
  std::int64_t tokens = 0;                                  ///< real (unpadded) tokens
  bool padded = false;                                      ///< whether any row is shorter than L
  /// The mask to give the model: none when nothing is padded, so that attention runs unmasked
  /// (LibTorch 2.x then picks flash attention).
  [[nodiscard]] torch::Tensor model_mask() const { return padded ? attention_mask : torch::Tensor(); }
};

/// `multiple`: the padded length is rounded up to a multiple of it, but not beyond `cap`.
inline collated collate(const encoded_examples& x, std::span<const std::int64_t> idx, std::int64_t pad,
                        std::size_t multiple = 1, std::size_t cap = 0) {
  std::size_t len = 0;
  for (auto i : idx) len = std::max(len, x.ids[static_cast<std::size_t>(i)].size());
  if (multiple > 1) {
    const auto rounded = (len + multiple - 1) / multiple * multiple;
    len = std::max(len, std::min(rounded, cap));
  }
  const auto b = static_cast<std::int64_t>(idx.size());
  const auto l = static_cast<std::int64_t>(len);
  auto ids = torch::full({b, l}, pad, torch::kLong);
  auto mask = torch::zeros({b, l}, torch::kLong);
  auto types = torch::zeros({b, l}, torch::kLong);
  auto* pi = ids.data_ptr<std::int64_t>();
  auto* pm = mask.data_ptr<std::int64_t>();
  auto* pt = types.data_ptr<std::int64_t>();
  collated out{ids, mask, types};
  for (std::int64_t r = 0; r < b; ++r) {
    const auto& row = x.ids[static_cast<std::size_t>(idx[static_cast<std::size_t>(r)])];
    const auto& trow = x.types[static_cast<std::size_t>(idx[static_cast<std::size_t>(r)])];
    std::copy(row.begin(), row.end(), pi + r * l);
    std::fill(pm + r * l, pm + r * l + static_cast<std::int64_t>(row.size()), 1);
    std::copy(trow.begin(), trow.end(), pt + r * l);
    out.tokens += static_cast<std::int64_t>(row.size());
    out.padded = out.padded || row.size() < len;
  }
  return out;
}

}  // namespace detail

/// Example:
///   auto backbone = train::pretrained_backbone::load(train::default_backbone());
///   const auto& task = bench.at("wn_pos");
///   auto model = backbone.sequence_classifier(task.info.num_labels());
///   train::trainer_options o;  o.learning_rate = 5e-4;  o.num_train_epochs = 2;
///   auto r = train::trainer(o).fit(model, task, backbone.tokenizer(), train::progress_printer("wn_pos"));
///   std::printf("dev %s %.4f\n", data::to_string(task.info.metric), r.best_metric);
class trainer {
 public:
  explicit trainer(trainer_options options) : o_(std::move(options)) { o_.validate(); }

  [[nodiscard]] const trainer_options& options() const { return o_; }

  /// Trains `model` on task.train and evaluates on task.dev. Throws non_finite_loss when a
  /// step's loss is NaN or infinite.
  template <class Plan, class Tokenizer>
  train_result fit(model::SequenceClassifier<Plan>& model, const data::task& task, const Tokenizer& tok,
                   const progress_callback& progress = {}) const {
    static_assert(data::check_tokenizer<Tokenizer>());
    using clock = std::chrono::steady_clock;
    const auto t0 = clock::now();
    check_task(*model, task.info);
    if (task.train.empty()) throw error("trainer: task '" + task.info.name + "' has no train examples");
    if (task.dev.empty()) throw error("trainer: task '" + task.info.name + "' has no dev examples to evaluate on");

    const auto train_set = subset(task.train);
    const auto dev_span = std::span<const data::example>(task.dev).first(
        o_.max_eval_samples > 0 ? std::min(o_.max_eval_samples, task.dev.size()) : task.dev.size());
    const auto train = detail::encode_examples(tok, train_set, task.info, o_.max_seq_length, "train");
    const auto dev = detail::encode_examples(tok, dev_span, task.info, o_.max_seq_length, "dev");
    const auto pad = tok.special_ids().pad >= 0 ? tok.special_ids().pad : 0;
    detail::check_token_ids(train, pad, model->config(), task.info.name, "train");
    detail::check_token_ids(dev, pad, model->config(), task.info.name, "dev");

    model->to(o_.device);
    auto adamw = torch::optim::AdamWOptions(o_.learning_rate)
                     .betas({o_.adam_beta1, o_.adam_beta2})
                     .eps(o_.adam_epsilon)
                     .weight_decay(o_.weight_decay);
    auto groups = adamw_param_groups(*model, adamw);
    std::vector<torch::Tensor> params;
    for (const auto& g : groups)
      for (const auto& p : g.params()) params.push_back(p);
    if (params.empty())
      throw error("trainer: no parameter of the model requires grad: nothing would train (did a "
                  "peft::mark_trainable call freeze everything?)");
    multi_tensor_adamw optimizer(std::move(groups), adamw);

    train_result r;
    r.train_examples = static_cast<std::int64_t>(train.size());
    r.eval_examples = static_cast<std::int64_t>(dev.size());
    for (const auto& p : params) r.trainable_parameters += p.numel();
    const auto n = static_cast<std::int64_t>(train.size());
    const auto per_epoch = (n + o_.train_batch_size - 1) / o_.train_batch_size;
    const auto total = o_.max_steps > 0 ? o_.max_steps : per_epoch * o_.num_train_epochs;
    const auto schedule = o_.warmup_steps >= 0 ? linear_schedule{o_.learning_rate, o_.warmup_steps, total}
                                               : linear_schedule::with_warmup_ratio(o_.learning_rate, total, o_.warmup_ratio);

    double train_seconds = 0;
    std::int64_t tokens = 0;
    auto evaluate_now = [&](std::int64_t step, std::int64_t epoch) {
      const auto te = clock::now();
      const double m = evaluate_encoded(model, dev, task.info, pad);
      r.eval_seconds += std::chrono::duration<double>(clock::now() - te).count();
      r.eval_history.emplace_back(step, m);
      if (r.eval_history.size() == 1 || m > r.best_metric) {
        r.best_metric = m;
        r.best_step = step;
      }
      r.final_metric = m;
      if (progress)
        progress({.phase = "eval", .step = step, .total_steps = total, .loss = r.loss_history.empty() ? 0.0 : r.loss_history.back(),
                  .learning_rate = schedule.lr(std::max<std::int64_t>(0, step - 1)), .tokens_per_second = 0,
                  .elapsed_seconds = std::chrono::duration<double>(clock::now() - t0).count(), .eta_seconds = 0,
                  .metric = m, .epoch = epoch});
    };

    // Losses stay on the device until read back in a batch: on a GPU, reading each step's loss
    // (to check it is finite) would make the host wait for the GPU at every step. On the CPU
    // there is nothing to wait for, and every step is checked at once.
    const std::int64_t read_every = o_.device.is_cuda() ? 16 : 1;
    std::vector<torch::Tensor> unread;
    std::int64_t first_unread = 0;
    double last_loss = 0;
    auto read_losses = [&] {
      if (unread.empty()) return;
      const auto values = torch::stack(unread).to(torch::kCPU, torch::kDouble).contiguous();
      const auto* v = values.data_ptr<double>();
      for (std::size_t i = 0; i < unread.size(); ++i) {
        if (!std::isfinite(v[i]))
          throw non_finite_loss(first_unread + static_cast<std::int64_t>(i), v[i], "trainer (task '" + task.info.name + "')");
        r.loss_history.push_back(v[i]);
      }
      last_loss = r.loss_history.back();
      first_unread += static_cast<std::int64_t>(unread.size());
      unread.clear();
    };

    std::int64_t step = 0;
    for (std::int64_t epoch = 0; step < total; ++epoch) {
      const auto order = batch_order(train, epoch);
      model->train();
      for (std::size_t start = 0; start < order.size() && step < total; start += static_cast<std::size_t>(o_.train_batch_size)) {
        const auto ts = clock::now();
        const auto count = std::min<std::size_t>(static_cast<std::size_t>(o_.train_batch_size), order.size() - start);
        const std::span<const std::int64_t> idx(order.data() + start, count);
        const auto batch = detail::collate(train, idx, pad, pad_multiple(), o_.max_seq_length);
        const auto labels = targets(train, idx, task.info.regression);
        torch::manual_seed(detail::derive_seed(o_.seed, detail::stream::dropout, static_cast<std::uint64_t>(step)));
        schedule.apply(optimizer, step);
        optimizer.zero_grad();
        torch::Tensor loss;
        {
          autocast_guard autocast(o_.bf16 && o_.device.is_cuda());
          const auto mask = batch.model_mask();
          auto logits = model->forward(batch.input_ids.to(o_.device), mask.defined() ? mask.to(o_.device) : mask,
                                       batch.token_type_ids.to(o_.device));
          loss = model->loss(logits, labels.to(o_.device));
        }
        // Read before the step's update: on the CPU a NaN loss stops the trainer before it
        // reaches the weights; on a GPU up to read_every - 1 earlier steps may have updated them.
        unread.push_back(loss.detach());
        if (static_cast<std::int64_t>(unread.size()) >= read_every) read_losses();
        loss.backward();
        clip_grad_norm(params, o_.max_grad_norm);
        optimizer.step();
        tokens += batch.tokens;
        ++step;
        train_seconds += std::chrono::duration<double>(clock::now() - ts).count();
        if (progress)
          progress({.phase = "train", .step = step, .total_steps = total, .loss = last_loss, .learning_rate = schedule.lr(step - 1),
                    .tokens_per_second = static_cast<double>(tokens) / std::max(train_seconds, 1e-9),
                    .elapsed_seconds = std::chrono::duration<double>(clock::now() - t0).count(),
                    .eta_seconds = train_seconds / static_cast<double>(step) * static_cast<double>(total - step),
                    .metric = std::nullopt, .epoch = epoch});
        if (o_.eval_steps > 0 && step % o_.eval_steps == 0 && step < total) {
          read_losses();
          evaluate_now(step, epoch);
          model->train();
        }
      }
      if (o_.eval_steps == 0 && step < total) {
        read_losses();
        evaluate_now(step, epoch);
      }
    }
    read_losses();
    evaluate_now(step, (step - 1) / std::max<std::int64_t>(1, per_epoch));
    model->eval();
    r.steps = step;
    r.step_seconds = step > 0 ? train_seconds / static_cast<double>(step) : 0;
    r.seconds = std::chrono::duration<double>(clock::now() - t0).count();
    return r;
  }

  /// The task metric of `model` on `examples` (e.g. task.test), in eval mode.
  template <class Plan, class Tokenizer>
  double evaluate(model::SequenceClassifier<Plan>& model, const data::task_info& info,
                  std::span<const data::example> examples, const Tokenizer& tok) const {
    static_assert(data::check_tokenizer<Tokenizer>());
    check_task(*model, info);
    const auto x = detail::encode_examples(tok, examples, info, o_.max_seq_length, "evaluation");
    const auto pad = tok.special_ids().pad >= 0 ? tok.special_ids().pad : 0;
    detail::check_token_ids(x, pad, model->config(), info.name, "evaluation");
    model->to(o_.device);
    return evaluate_encoded(model, x, info, pad);
  }

 private:
  [[nodiscard]] std::size_t pad_multiple() const {
    if (o_.pad_to_multiple_of > 0) return static_cast<std::size_t>(o_.pad_to_multiple_of);
    return o_.device.is_cuda() ? 8 : 1;
  }

  template <class Impl>
  static void check_task(const Impl& m, const data::task_info& info) {
    const auto& c = m.config();
    if (c.num_labels != info.num_labels())
      throw error("trainer: task '" + info.name + "' has " + std::to_string(info.num_labels()) +
                  (info.regression ? " output (regression)" : " labels") + " but the model's head has num_labels = " +
                  std::to_string(c.num_labels) + ": build the model with num_labels = task.info.num_labels()");
    if (c.is_regression() != info.regression)
      throw error("trainer: task '" + info.name + "' is " + (info.regression ? "a regression" : "a classification") +
                  " task but the model's problem_type is '" + c.problem_type + "'");
  }

  std::vector<data::example> subset(const std::vector<data::example>& all) const {
    auto keep = static_cast<std::size_t>(std::llround(o_.train_fraction * static_cast<double>(all.size())));
    keep = std::max<std::size_t>(1, keep);
    if (o_.max_train_samples > 0) keep = std::min(keep, o_.max_train_samples);
    if (keep >= all.size()) return all;
    auto perm = torch::randperm(static_cast<std::int64_t>(all.size()), detail::generator(o_.seed, detail::stream::subset, 0),
                                torch::TensorOptions(torch::kLong));
    std::vector<std::int64_t> idx(perm.data_ptr<std::int64_t>(), perm.data_ptr<std::int64_t>() + keep);
    std::sort(idx.begin(), idx.end());
    std::vector<data::example> out;
    out.reserve(keep);
    for (auto i : idx) out.push_back(all[static_cast<std::size_t>(i)]);
    return out;
  }

  // A shuffled order; with group_by_length, HF's megabatches: chunks of 50 batches, each sorted
  // by length, longest first, so a batch holds rows of similar length.
  std::vector<std::int64_t> batch_order(const detail::encoded_examples& x, std::int64_t epoch) const {
    const auto n = static_cast<std::int64_t>(x.size());
    auto perm = torch::randperm(n, detail::generator(o_.seed, detail::stream::order, static_cast<std::uint64_t>(epoch)),
                                torch::TensorOptions(torch::kLong));
    std::vector<std::int64_t> order(perm.data_ptr<std::int64_t>(), perm.data_ptr<std::int64_t>() + n);
    if (!o_.group_by_length) return order;
    const auto mega = static_cast<std::size_t>(50 * o_.train_batch_size);
    for (std::size_t s = 0; s < order.size(); s += mega) {
      const auto e = std::min(order.size(), s + mega);
      std::stable_sort(order.begin() + static_cast<std::ptrdiff_t>(s), order.begin() + static_cast<std::ptrdiff_t>(e),
                       [&](std::int64_t a, std::int64_t b) {
                         return x.ids[static_cast<std::size_t>(a)].size() > x.ids[static_cast<std::size_t>(b)].size();
                       });
    }
    return order;
  }

  static torch::Tensor targets(const detail::encoded_examples& x, std::span<const std::int64_t> idx, bool regression) {
    if (regression) {
      std::vector<float> v;
      for (auto i : idx) v.push_back(static_cast<float>(x.scores[static_cast<std::size_t>(i)]));
      return torch::tensor(v, torch::kFloat);
    }
    std::vector<std::int64_t> v;
    for (auto i : idx) v.push_back(x.labels[static_cast<std::size_t>(i)]);
    return torch::tensor(v, torch::kLong);
  }

  template <class Plan>
  double evaluate_encoded(model::SequenceClassifier<Plan>& model, const detail::encoded_examples& x,
                          const data::task_info& info, std::int64_t pad) const {
    model->eval();
    torch::NoGradGuard no_grad;
    std::vector<std::int64_t> order(x.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
      return x.ids[static_cast<std::size_t>(a)].size() < x.ids[static_cast<std::size_t>(b)].size();
    });
    std::vector<std::int64_t> classes(x.size());
    std::vector<double> values(x.size());
    for (std::size_t s = 0; s < order.size(); s += static_cast<std::size_t>(o_.eval_batch_size)) {
      const auto count = std::min<std::size_t>(static_cast<std::size_t>(o_.eval_batch_size), order.size() - s);
      const std::span<const std::int64_t> idx(order.data() + s, count);
      const auto batch = detail::collate(x, idx, pad, pad_multiple(), o_.max_seq_length);
      torch::Tensor logits;
      {
        autocast_guard autocast(o_.bf16 && o_.device.is_cuda());
        const auto mask = batch.model_mask();
        logits = model->forward(batch.input_ids.to(o_.device), mask.defined() ? mask.to(o_.device) : mask,
                                batch.token_type_ids.to(o_.device))
                     .to(torch::kCPU, torch::kFloat);
      }
      if (info.regression) {
        auto v = logits.squeeze(-1).to(torch::kDouble).contiguous();
        for (std::size_t k = 0; k < count; ++k) values[static_cast<std::size_t>(idx[k])] = v.data_ptr<double>()[k];
      } else {
        auto c = logits.argmax(-1).contiguous();
        for (std::size_t k = 0; k < count; ++k) classes[static_cast<std::size_t>(idx[k])] = c.data_ptr<std::int64_t>()[k];
      }
    }
    if (info.regression) return data::evaluate(info, std::span<const double>(values), std::span<const double>(x.scores));
    return data::evaluate(info, std::span<const std::int64_t>(classes), std::span<const std::int64_t>(x.labels));
  }

  trainer_options o_;
};

}  // namespace autopeft::train
