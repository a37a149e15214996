#pragma once
// An encoded batch as the int64 tensors the encoder takes (model/encoder_model.hpp): the one
// tokenizer header that needs LibTorch.
#include <autopeft/data/encoded_batch.hpp>
#include <autopeft/error.hpp>

#include <torch/torch.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace autopeft::data {

/// input_ids, attention_mask and token_type_ids, each int64 [B, L] on the CPU.
struct batch_tensors {
  torch::Tensor input_ids;
  torch::Tensor attention_mask;
  torch::Tensor token_type_ids;
};

/// Copies a rectangular batch into tensors [B, L] (an empty batch gives [0, 0]). Throws if the
/// rows differ in length: encode with padding longest, or max_length with truncation.
inline batch_tensors to_tensors(const encoded_batch& batch) {
  const auto b = static_cast<std::int64_t>(batch.size());
  const auto l = static_cast<std::int64_t>(batch.empty() ? 0 : batch.input_ids.front().size());
  for (std::size_t r = 0; r < batch.size(); ++r)
    if (batch.input_ids[r].size() != static_cast<std::size_t>(l) ||
        batch.attention_mask[r].size() != static_cast<std::size_t>(l) ||
        batch.token_type_ids[r].size() != static_cast<std::size_t>(l))
      throw error("to_tensors: row " + std::to_string(r) + " has " + std::to_string(batch.input_ids[r].size()) +
                  " tokens and row 0 has " + std::to_string(l) +
                  ": encode with padding_strategy::longest (or max_length with truncation)");
  auto fill = [&](const std::vector<std::vector<std::int64_t>>& rows) {
    auto t = torch::empty({b, l}, torch::kInt64);
    auto* p = t.data_ptr<std::int64_t>();
    for (const auto& row : rows) p = std::copy(row.begin(), row.end(), p);
    return t;
  };
  return {fill(batch.input_ids), fill(batch.attention_mask), fill(batch.token_type_ids)};
}

}  // namespace autopeft::data
