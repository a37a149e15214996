#pragma once
// How special tokens frame one sequence or a pair: HF's post-processor (TemplateProcessing for
// BERT, RobertaProcessing for RoBERTa).
#include <autopeft/data/special_token_ids.hpp>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace autopeft::data {

/// single: begin A end          pair: begin A middle B end
/// `begin`, A and `middle` take token type 0; B and the closing `end` take `pair_type_id`.
///
///   BERT     [CLS] A [SEP]  |  [CLS] A [SEP] B [SEP]      types 0 ... 0 1 ... 1
///   RoBERTa  <s> A </s>     |  <s> A </s> </s> B </s>     types all 0
struct sequence_template {
  std::vector<std::int64_t> begin, middle, end;
  std::int64_t pair_type_id = 1;

  /// The number of special tokens framing a single sequence or a pair.
  [[nodiscard]] std::size_t added(bool pair) const noexcept {
    return begin.size() + end.size() + (pair ? middle.size() : 0);
  }

  [[nodiscard]] static sequence_template bert(const special_token_ids& s) {
    return {{s.cls}, {s.sep}, {s.sep}, 1};
  }
  [[nodiscard]] static sequence_template roberta(const special_token_ids& s) {
    return {{s.cls}, {s.sep, s.sep}, {s.sep}, 0};
  }
};

}  // namespace autopeft::data
