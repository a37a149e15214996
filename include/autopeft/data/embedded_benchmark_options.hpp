#pragma once
// What embedded_benchmark::build reads and how large it makes each task. The defaults give the
// benchmark described in docs/data/embedded_benchmark.md; the max_* caps shrink every task
// alike for a quick run on a CPU.
//
// Example (a small benchmark for a smoke test):
//   auto b = embedded_benchmark::build({.max_train = 2000, .max_dev = 500, .max_test = 500});
#include <cstddef>
#include <cstdint>
#include <filesystem>

namespace autopeft::data {

struct embedded_benchmark_options {
  /// Where wordnet-base put data.noun, data.verb, data.adj and data.adv.
  std::filesystem::path wordnet_dir = "/usr/share/wordnet";
  /// Where fortunes put its category files.
  std::filesystem::path fortunes_dir = "/usr/share/games/fortunes";
  /// Seeds every sampling step (caps, negatives, shuffles); splits do not depend on it.
  std::uint64_t seed = 20261122;

  /// At most this many examples in each task's train / dev / test split; 0: no cap. Sentence-
  /// pair tasks keep a positive and its negative together, so they stay balanced under a cap.
  std::size_t max_train = 0;
  std::size_t max_dev = 0;
  std::size_t max_test = 0;

  /// wn_supersense: noun and verb lexicographer files with fewer synsets are left out; larger
  /// ones are sampled down to max_per_class synsets.
  std::size_t supersense_min_per_class = 200;
  std::size_t supersense_max_per_class = 800;
  /// wn_pos: synsets sampled per part of speech (adverbs have about 3.6k).
  std::size_t pos_max_per_class = 3000;
  /// wn_hypernym, wn_paraphrase: anchor synsets, each giving one positive and one negative pair.
  std::size_t hypernym_anchors = 10000;
  std::size_t paraphrase_anchors = 10000;
  /// wn_paraphrase: the percentage of anchors whose negative is drawn from the close synsets
  /// (co-hyponyms, similar-to neighbours); the others get a random synset of the same part of
  /// speech. The first design (close negatives wherever there were some: 81 %) was at chance for
  /// every method, full fine-tuning included (docs/results/autopeft_vs_baselines.md, before issue
  /// 12), and half close still left full fine-tuning below the majority rate + 10 points on the
  /// default backbone (docs/data/embedded_benchmark.md): random negatives make it learnable.
  unsigned paraphrase_close_percent = 0;
  /// fortune_category: entries longer than this (after whitespace is collapsed) are left out,
  /// categories with fewer eligible entries too; larger ones are sampled down to max_per_class.
  std::size_t fortune_max_chars = 400;
  std::size_t fortune_min_per_class = 300;
  std::size_t fortune_max_per_class = 500;
};

}  // namespace autopeft::data
