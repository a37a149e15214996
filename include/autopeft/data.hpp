#pragma once
// The data layer: examples and tasks, dataset readers (GLUE, SuperGLUE, CSV, JSONL), GLUE's
// metrics, tokenizers (WordPiece, byte-level BPE, batch encoding) and the embedded benchmark
// built from Debian's wordnet-base and fortunes. None of it needs LibTorch except to_tensors.
// SentencePiece is left out on purpose: include autopeft/data/sentencepiece_tokenizer.hpp
// (and link libsentencepiece) where it is wanted; see that header for why it must not share a
// process with Debian's LibTorch.
#include <autopeft/data/embedded_benchmark.hpp>
#include <autopeft/data/example.hpp>
#include <autopeft/data/fortunes.hpp>
#include <autopeft/data/hash_split.hpp>
#include <autopeft/data/metrics.hpp>
#include <autopeft/data/readers.hpp>
#include <autopeft/data/task.hpp>
#include <autopeft/data/to_tensors.hpp>
#include <autopeft/data/tokenizers.hpp>
#include <autopeft/data/wordnet.hpp>
