#pragma once
// The options of trainer (fine-tuning for sequence classification and regression), named as
// HF's TrainingArguments and run_glue.py name them.
#include <autopeft/error.hpp>

#include <torch/torch.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace autopeft::train {

/// Example (AutoPEFT's low-fidelity evaluation: a train subset and one epoch):
///   train::trainer_options o;
///   o.num_train_epochs = 1;  o.max_train_samples = 2000;  o.learning_rate = 1e-3;
struct trainer_options {
  std::int64_t num_train_epochs = 3;
  std::int64_t max_steps = -1;            ///< > 0: train this many steps, whatever the epochs
  /// Train on a seeded random subset: first train_fraction of the examples, then at most
  /// max_train_samples of them (0: no cap). Dev: at most max_eval_samples (0: all).
  double train_fraction = 1.0;
  std::size_t max_train_samples = 0;
  std::size_t max_eval_samples = 0;
  std::int64_t train_batch_size = 32;
  std::int64_t eval_batch_size = 128;
  double learning_rate = 5e-5;
  double warmup_ratio = 0.0;
  std::int64_t warmup_steps = -1;         ///< >= 0: overrides warmup_ratio
  double weight_decay = 0.0;              ///< not on biases and LayerNorm weights
  double adam_beta1 = 0.9;
  double adam_beta2 = 0.999;
  double adam_epsilon = 1e-8;
  double max_grad_norm = 1.0;
  std::size_t max_seq_length = 128;       ///< [CLS] and [SEP] included; longer inputs are truncated
  /// Evaluate on dev every eval_steps steps; 0: after every epoch. The last step is always
  /// evaluated.
  std::int64_t eval_steps = 0;
  /// Batches of similar lengths (HF's LengthGroupedSampler): less padding, faster on a CPU.
  bool group_by_length = true;
  /// Pad each batch to a multiple of this many tokens (HF's DataCollatorWithPadding option),
  /// never beyond max_seq_length. -1: 8 on CUDA, none on the CPU. On a GPU every new batch shape
  /// makes the attention kernels prepare afresh (a cost per process, per shape), and a search
  /// meets many shapes; multiples of 8 also suit bf16 tensor cores.
  std::int64_t pad_to_multiple_of = -1;
  std::uint64_t seed = 42;
  torch::Device device = torch::kCPU;
  bool bf16 = false;                      ///< bf16 autocast (CUDA only)

  void validate() const {
    auto fail = [](const std::string& field, const std::string& what) {
      throw error("trainer_options: field '" + field + "' " + what);
    };
    if (num_train_epochs < 1 && max_steps <= 0) fail("num_train_epochs", "must be positive (or set max_steps)");
    if (!(train_fraction > 0 && train_fraction <= 1)) fail("train_fraction", "must lie in (0, 1]");
    if (train_batch_size < 1) fail("train_batch_size", "must be positive");
    if (eval_batch_size < 1) fail("eval_batch_size", "must be positive");
    if (!(learning_rate > 0)) fail("learning_rate", "must be positive");
    if (warmup_ratio < 0 || warmup_ratio > 1) fail("warmup_ratio", "must lie in [0, 1]");
    if (weight_decay < 0) fail("weight_decay", "must not be negative");
    if (!(max_grad_norm > 0)) fail("max_grad_norm", "must be positive");
    if (max_seq_length < 3) fail("max_seq_length", "must be at least 3 ([CLS], a token, [SEP])");
    if (eval_steps < 0) fail("eval_steps", "must not be negative");
    if (pad_to_multiple_of < -1 || pad_to_multiple_of == 0)
      fail("pad_to_multiple_of", "must be positive (1: no rounding), or -1 for the device's default");
  }
};

}  // namespace autopeft::train
