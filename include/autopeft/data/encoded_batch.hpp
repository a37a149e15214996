#pragma once
// A batch of encoded examples, one row per example, as HF's BatchEncoding holds it.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace autopeft::data {

/// Rows have equal lengths when the batch was padded (padding longest, or max_length with
/// truncation); with do_not_pad they keep their own lengths. to_tensors() turns a rectangular
/// batch into int64 tensors [B, L].
struct encoded_batch {
  std::vector<std::vector<std::int64_t>> input_ids;
  std::vector<std::vector<std::int64_t>> attention_mask;  // 1 for tokens, 0 for padding
  std::vector<std::vector<std::int64_t>> token_type_ids;  // 0 for the first segment, 1 (BERT) for B

  [[nodiscard]] std::size_t size() const noexcept { return input_ids.size(); }
  [[nodiscard]] bool empty() const noexcept { return input_ids.empty(); }

  /// The length of the longest row.
  [[nodiscard]] std::size_t max_row_length() const noexcept {
    std::size_t n = 0;
    for (const auto& r : input_ids) n = r.size() > n ? r.size() : n;
    return n;
  }

  /// Whether every row has the same length (an empty batch is rectangular).
  [[nodiscard]] bool rectangular() const noexcept {
    for (const auto& r : input_ids)
      if (r.size() != input_ids.front().size()) return false;
    return true;
  }
};

}  // namespace autopeft::data
