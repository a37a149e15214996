#pragma once
// Umbrella header of the tokenizers (no LibTorch, no SentencePiece). Include
// data/sentencepiece_tokenizer.hpp (links libsentencepiece) and data/to_tensors.hpp (LibTorch)
// where they are needed.
#include <autopeft/data/added_token.hpp>
#include <autopeft/data/bert_normalizer.hpp>
#include <autopeft/data/byte_level_bpe_tokenizer.hpp>
#include <autopeft/data/concepts.hpp>
#include <autopeft/data/encode_batch.hpp>
#include <autopeft/data/encode_options.hpp>
#include <autopeft/data/encoded_batch.hpp>
#include <autopeft/data/sequence_template.hpp>
#include <autopeft/data/special_token_ids.hpp>
#include <autopeft/data/wordpiece_tokenizer.hpp>
#include <autopeft/data/wordpiece_trainer.hpp>
