#pragma once
// A BERT-shaped encoder config small enough for unit tests: bert_base()'s options (activation,
// LayerNorm epsilon, ...) with small sizes and no dropout, so forward passes are deterministic.
#include <autopeft/model/encoder_config.hpp>

#include <cstdint>

namespace autopeft::testing {

struct small_encoder_sizes {
  std::int64_t hidden = 16, layers = 2, heads = 2, ffn = 24, vocab = 50, positions = 20;
};

inline model::EncoderConfig small_encoder(small_encoder_sizes s = {}) {
  auto c = model::EncoderConfig::bert_base();
  c.vocab_size = s.vocab;
  c.hidden_size = s.hidden;
  c.num_hidden_layers = s.layers;
  c.num_attention_heads = s.heads;
  c.intermediate_size = s.ffn;
  c.max_position_embeddings = s.positions;
  c.hidden_dropout_prob = c.attention_probs_dropout_prob = 0;
  return c;
}

}  // namespace autopeft::testing
