#pragma once
// Masked-LM pretraining of model::MaskedLM from scratch on a tokenised corpus, as HF's
// run_mlm.py with Trainer: packed blocks (pack_documents), dynamic masking (mlm_masking), AdamW
// (multi_tensor_adamw) with HF's weight-decay groups, linear warm-up and decay, gradient
// clipping, and resumable checkpoints. Unlike run_mlm.py, word embeddings may start from
// count-based vectors of the same blocks (word_embedding_init "ppmi", ppmi_embeddings.hpp), and
// the vocabulary projection is computed for the masked positions only. On a GPU the loop never
// waits for the device within a step: losses are read back every 16 steps, clipping stays on the
// device (clip_grad_norm) and batches are copied from pinned memory.
//
// Determinism and resumption: the model's initialisation comes from `seed`; the batch of step s
// (epoch s / batches_per_epoch, shuffled per epoch), its masking and its dropout draw from
// generators seeded by (seed, s) alone. A checkpoint therefore needs only the weights, the
// optimizer's state and the step, and a run resumed from it ends with the weights of the run
// that was never interrupted (bit for bit on the same machine and thread count).
#include <autopeft/data/concepts.hpp>
#include <autopeft/data/detail/fnv1a.hpp>
#include <autopeft/data/special_token_ids.hpp>
#include <autopeft/error.hpp>
#include <autopeft/model/masked_lm.hpp>
#include <autopeft/train/adamw_param_groups.hpp>
#include <autopeft/train/autocast.hpp>
#include <autopeft/train/clip_grad_norm.hpp>
#include <autopeft/train/detail/mlm_head.hpp>
#include <autopeft/train/detail/seeds.hpp>
#include <autopeft/train/linear_schedule.hpp>
#include <autopeft/train/mlm_pretrainer_options.hpp>
#include <autopeft/train/multi_tensor_adamw.hpp>
#include <autopeft/train/non_finite_loss.hpp>
#include <autopeft/train/pack_documents.hpp>
#include <autopeft/train/ppmi_embeddings.hpp>
#include <autopeft/train/progress.hpp>
#include <autopeft/train/training_checkpoint.hpp>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace autopeft::train {

/// What a pretraining run gives back.
struct pretrain_result {
  model::MaskedLM<> model{nullptr};   ///< in eval mode, on the options' device
  /// The config to publish: the trained shape with the options' dropout (not pretraining's).
  model::EncoderConfig config;
  std::vector<double> loss_history;   ///< one loss per step from step 0, resumed steps included
  std::int64_t steps = 0;
  std::int64_t resumed_from_step = 0; ///< 0: started from scratch
  std::int64_t sequences = 0;         ///< packed blocks in the training data
  std::int64_t tokens_per_epoch = 0;
  double seconds = 0;                 ///< wall time of this run (tokenising included)
  double tokens_per_second = 0;       ///< training throughput of this run
};

/// Example:
///   train::mlm_pretrainer pretrainer(options);
///   auto result = pretrainer.train(tokenizer, corpus, train::progress_printer("pretrain"));
///   // options.output_dir now holds config.json, model.safetensors (and checkpoints/)
class mlm_pretrainer {
 public:
  explicit mlm_pretrainer(mlm_pretrainer_options options) : o_(std::move(options)) { o_.validate(); }

  [[nodiscard]] const mlm_pretrainer_options& options() const { return o_; }

  /// Encodes every document (no special tokens), packs the ids into blocks and trains.
  template <class Tokenizer>
  pretrain_result train(const Tokenizer& tokenizer, std::span<const std::string> corpus,
                        const progress_callback& progress = {}) const {
    static_assert(data::check_tokenizer<Tokenizer>());
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::vector<std::int64_t>> docs;
    docs.reserve(corpus.size());
    for (const auto& text : corpus) docs.push_back(tokenizer.encode(text));
    const auto ids = tokenizer.special_ids();
    const auto blocks = pack_documents(docs, o_.max_seq_length, ids.cls, ids.sep);
    docs = {};
    std::int64_t vocab = 0;
    if constexpr (requires { tokenizer.vocab_size(); }) vocab = static_cast<std::int64_t>(tokenizer.vocab_size());
    else static_assert(sizeof(Tokenizer) == 0, "mlm_pretrainer::train: the tokenizer needs vocab_size()");
    auto result = train(blocks, ids, vocab, progress);
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return result;
  }

  /// Trains on packed blocks [N, L] (L = max_seq_length). Checkpoints go to
  /// output_dir/checkpoints every save_steps steps; nothing else is written.
  pretrain_result train(const packed_sequences& data, const data::special_token_ids& ids, std::int64_t vocab_size,
                        const progress_callback& progress = {}) const {
    const auto t0 = std::chrono::steady_clock::now();
    const auto n = data.size();
    const auto batch = o_.train_batch_size;
    if (n < batch)
      throw error("mlm_pretrainer: the corpus packs into " + std::to_string(n) + " blocks of " +
                  std::to_string(o_.max_seq_length) + " tokens, fewer than one batch of " + std::to_string(batch) +
                  ": use a larger corpus, a smaller train_batch_size or a shorter max_seq_length");
    if (data.input_ids.size(1) != o_.max_seq_length)
      throw error("mlm_pretrainer: blocks have " + std::to_string(data.input_ids.size(1)) +
                  " tokens but max_seq_length is " + std::to_string(o_.max_seq_length));
    if (ids.mask < 0) throw error("mlm_pretrainer: the tokenizer has no [MASK] token");
    if (data.input_ids.numel() > 0) {
      // Checked here, on the CPU, once: the model checks only CPU inputs (model/embeddings.hpp).
      const auto [lo, hi] = torch::aminmax(data.input_ids.cpu());
      const auto bad = lo.item<std::int64_t>() < 0 ? lo.item<std::int64_t>() : hi.item<std::int64_t>();
      if (bad < 0 || bad >= vocab_size)
        throw error("mlm_pretrainer: the blocks hold token id " + std::to_string(bad) +
                    ", outside the vocabulary [0, vocab_size=" + std::to_string(vocab_size) +
                    "): pass the vocab_size of the tokenizer that encoded the corpus");
    }

    pretrain_result r;
    r.config = o_.model;
    r.config.vocab_size = vocab_size;
    r.config.pad_token_id = ids.pad >= 0 ? ids.pad : 0;
    r.config.validate("mlm_pretrainer_options.model");
    auto run_config = r.config;
    if (o_.pretraining_dropout >= 0)
      run_config.hidden_dropout_prob = run_config.attention_probs_dropout_prob = o_.pretraining_dropout;

    torch::manual_seed(o_.seed);
    r.model = model::MaskedLM<>(run_config);
    const std::int64_t specials[] = {ids.cls, ids.sep, ids.pad, ids.mask};  // never masked (HF's special tokens)
    const auto fingerprint = run_fingerprint(data, vocab_size);
    const auto ckpt_root = o_.output_dir.empty() ? std::filesystem::path{} : o_.output_dir / "checkpoints";
    std::optional<training_checkpoint> resume_from;
    if (!ckpt_root.empty()) {
      if (!o_.resume_from_checkpoint) training_checkpoint::remove_all(ckpt_root);
      else resume_from = training_checkpoint::latest(ckpt_root);
    }
    if (o_.word_embedding_init == "ppmi" && !resume_from) {
      torch::NoGradGuard no_grad;
      const std::int64_t uncounted[] = {ids.cls, ids.sep, ids.pad, ids.mask, ids.unk};
      const auto e = ppmi_embeddings(data.input_ids, vocab_size, run_config.hidden_size, uncounted,
                                     // pretraining draws no subset, so that stream seeds the projection
                                     detail::generator(o_.seed, detail::stream::subset, 0), o_.ppmi);
      auto& w = r.model->backbone->embeddings->word_embeddings->weight;
      const auto seen = e.abs().sum(1).gt(0).unsqueeze(1);
      w.copy_(torch::where(seen, e, w));
    }
    r.model->to(o_.device);
    auto adamw = torch::optim::AdamWOptions(o_.learning_rate)
                     .betas({o_.adam_beta1, o_.adam_beta2})
                     .eps(o_.adam_epsilon)
                     .weight_decay(o_.weight_decay);
    multi_tensor_adamw optimizer(adamw_param_groups(*r.model, adamw), adamw);
    std::vector<torch::Tensor> params;
    for (auto& p : r.model->parameters())
      if (p.requires_grad()) params.push_back(p);
    const auto schedule = o_.warmup_steps >= 0 ? linear_schedule{o_.learning_rate, o_.warmup_steps, o_.max_steps}
                                               : linear_schedule::with_warmup_ratio(o_.learning_rate, o_.max_steps, o_.warmup_ratio);

    std::int64_t start = 0;
    if (resume_from) {
      const auto& c = *resume_from;
      if (c.state.value("fingerprint", std::string()) != fingerprint)
        throw file_error(c.dir, "was written by a pretraining run with other options or data: pass "
                                "another output directory, or start over (resume_from_checkpoint = false)");
      c.restore(r.model, optimizer);
      start = c.step;
      r.loss_history = c.state.at("loss_history").get<std::vector<double>>();
      r.loss_history.resize(static_cast<std::size_t>(start));
    }
    r.resumed_from_step = start;
    r.sequences = n;
    r.tokens_per_epoch = n * o_.max_seq_length;

    const auto batches_per_epoch = n / batch;
    // As in the trainer: on a GPU the losses stay on the device and are read back (and checked
    // for NaN) every read_every steps, and gradients are clipped on the device, so the host never
    // waits for the GPU within a step. On the CPU every loss is read and checked before its update.
    const std::int64_t read_every = o_.device.is_cuda() ? 16 : 1;
    std::vector<std::pair<std::int64_t, torch::Tensor>> unread;  // (step, loss on the device)
    double last_loss = 0;
    auto read_losses = [&] {
      if (unread.empty()) return;
      std::vector<torch::Tensor> ts;
      for (const auto& [s, t] : unread) ts.push_back(t);
      const auto values = torch::stack(ts).to(torch::kCPU, torch::kDouble).contiguous();
      const auto* v = values.data_ptr<double>();
      for (std::size_t i = 0; i < unread.size(); ++i) {
        if (!std::isfinite(v[i])) throw non_finite_loss(unread[i].first, v[i], "mlm_pretrainer");
        r.loss_history[static_cast<std::size_t>(unread[i].first)] = v[i];
      }
      last_loss = v[unread.size() - 1];
      unread.clear();
    };
    const bool pin = o_.device.is_cuda();
    auto to_device = [&](const torch::Tensor& t) { return (pin ? t.pin_memory() : t).to(o_.device, /*non_blocking=*/pin); };
    torch::Tensor order;
    std::int64_t order_epoch = -1;
    const auto train_start = std::chrono::steady_clock::now();
    r.model->train();
    for (std::int64_t step = start; step < o_.max_steps; ++step) {
      const auto epoch = step / batches_per_epoch;
      if (epoch != order_epoch) {
        order = torch::randperm(n, detail::generator(o_.seed, detail::stream::order, static_cast<std::uint64_t>(epoch)),
                                torch::TensorOptions(torch::kLong));
        order_epoch = epoch;
      }
      const auto rows = order.narrow(0, (step % batches_per_epoch) * batch, batch);
      const auto input = data.input_ids.index_select(0, rows);
      const auto types = data.token_type_ids.index_select(0, rows);
      auto masked = o_.masking(input, special_tokens_mask(input, specials), ids.mask, vocab_size,
                               detail::generator(o_.seed, detail::stream::masking, static_cast<std::uint64_t>(step)));
      torch::manual_seed(detail::derive_seed(o_.seed, detail::stream::dropout, static_cast<std::uint64_t>(step)));
      schedule.apply(optimizer, step);

      const auto labels = masked.labels.reshape({-1});
      const auto picked = labels.ne(-100).nonzero().squeeze(1);
      optimizer.zero_grad();
      r.loss_history.push_back(0);  // a step without masked tokens trains nothing and records 0
      if (picked.numel() > 0) {
        torch::Tensor loss;
        {
          autocast_guard autocast(o_.bf16 && o_.device.is_cuda());
          auto hidden = r.model->backbone->forward(to_device(masked.input_ids), {}, to_device(types)).last_hidden_state;
          hidden = hidden.reshape({-1, hidden.size(-1)}).index_select(0, to_device(picked));
          auto logits = detail::masked_lm_logits(*r.model, hidden);
          loss = torch::nn::functional::cross_entropy(logits.to(torch::kFloat), to_device(labels.index_select(0, picked)));
        }
        unread.emplace_back(step, loss.detach());
        // The first step is read at once, so that progress shows a loss from the start.
        if (static_cast<std::int64_t>(unread.size()) >= read_every || step == start) read_losses();
        loss.backward();
        clip_grad_norm(params, o_.max_grad_norm);
        optimizer.step();
      }
      const auto done = step + 1;

      if (!ckpt_root.empty() && o_.save_steps > 0 && done % o_.save_steps == 0 && done < o_.max_steps) {
        read_losses();  // a checkpoint holds no step whose loss was not checked
        training_checkpoint::save(ckpt_root, done, r.model, optimizer,
                                  {{"fingerprint", fingerprint}, {"loss_history", r.loss_history},
                                   {"epoch", done / batches_per_epoch}, {"batch_in_epoch", done % batches_per_epoch}},
                                  o_.save_total_limit);
      }
      if (progress) {
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - train_start).count();
        const auto run_steps = static_cast<double>(done - start);
        progress({.phase = "pretrain",
                  .step = done,
                  .total_steps = o_.max_steps,
                  .loss = last_loss,
                  .learning_rate = schedule.lr(step),
                  .tokens_per_second = run_steps * static_cast<double>(batch * o_.max_seq_length) / std::max(elapsed, 1e-9),
                  .elapsed_seconds = elapsed,
                  .eta_seconds = elapsed / run_steps * static_cast<double>(o_.max_steps - done),
                  .metric = std::nullopt,
                  .epoch = epoch});
      }
    }
    read_losses();
    r.model->eval();
    r.steps = o_.max_steps;
    const double train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - train_start).count();
    r.tokens_per_second = static_cast<double>((o_.max_steps - start) * batch * o_.max_seq_length) / std::max(train_seconds, 1e-9);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
  }

 private:
  // Options that decide the trajectory, and the data, hashed: a checkpoint resumes only a run of
  // the same recipe on the same blocks.
  std::string run_fingerprint(const packed_sequences& data, std::int64_t vocab_size) const {
    auto j = o_.to_json();
    j["vocab_size"] = vocab_size;
    std::uint64_t h = data::detail::fnv1a64(j.dump());
    auto mix = [&](const torch::Tensor& t) {
      const auto c = t.contiguous();
      h ^= data::detail::fnv1a64({reinterpret_cast<const char*>(c.data_ptr()), static_cast<std::size_t>(c.nbytes())});
      h *= 0x100000001b3ULL;
    };
    mix(data.input_ids);
    mix(data.token_type_ids);
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
  }

  mlm_pretrainer_options o_;
};

}  // namespace autopeft::train
