#pragma once
// Packs tokenised documents into full blocks for masked-LM pretraining, as HF's run_mlm.py does
// without --line_by_line (group_texts), with BERT's framing:
//
//   [CLS] d1 [SEP] d2 [SEP] d3 ...          (max_seq_length ids per block, no padding)
//
// Documents run on across block boundaries; the tail that does not fill a block is dropped.
// Token types are 0 up to and including a block's first [SEP] and 1 after it, so that the
// segment-B embedding that sentence-pair tasks use is trained too (BERT's A/B segments).
#include <autopeft/error.hpp>

#include <torch/torch.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace autopeft::train {

struct packed_sequences {
  torch::Tensor input_ids;       ///< [N, L] int64
  torch::Tensor token_type_ids;  ///< [N, L] int64
  [[nodiscard]] std::int64_t size() const { return input_ids.defined() ? input_ids.size(0) : 0; }
};

/// Example:
///   std::vector<std::vector<std::int64_t>> docs = ...;   // tokenizer.encode(text) per document
///   auto blocks = train::pack_documents(docs, 128, /*cls=*/2, /*sep=*/3);
[[nodiscard]] inline packed_sequences pack_documents(std::span<const std::vector<std::int64_t>> documents,
                                                     std::int64_t max_seq_length, std::int64_t cls_id,
                                                     std::int64_t sep_id) {
  if (max_seq_length < 2)
    throw error("pack_documents: max_seq_length must be at least 2 (for [CLS] and one token), got " +
                std::to_string(max_seq_length));
  if (cls_id < 0 || sep_id < 0)
    throw error("pack_documents: the tokenizer needs [CLS] and [SEP] ids (got " + std::to_string(cls_id) +
                " and " + std::to_string(sep_id) + ")");
  const auto body = static_cast<std::size_t>(max_seq_length - 1);
  std::vector<std::int64_t> ids, types;
  std::vector<std::int64_t> block;
  block.reserve(body);
  auto flush = [&] {
    ids.push_back(cls_id);
    types.push_back(0);
    std::int64_t type = 0;
    for (auto t : block) {
      ids.push_back(t);
      types.push_back(type);
      if (t == sep_id) type = 1;
    }
    block.clear();
  };
  for (const auto& doc : documents) {
    if (doc.empty()) continue;
    for (std::size_t i = 0; i <= doc.size(); ++i) {
      block.push_back(i < doc.size() ? doc[i] : sep_id);
      if (block.size() == body) flush();
    }
  }
  const auto n = static_cast<std::int64_t>(ids.size()) / max_seq_length;
  if (n == 0) return {torch::empty({0, max_seq_length}, torch::kLong), torch::empty({0, max_seq_length}, torch::kLong)};
  return {torch::tensor(ids, torch::kLong).view({n, max_seq_length}),
          torch::tensor(types, torch::kLong).view({n, max_seq_length})};
}

}  // namespace autopeft::train
