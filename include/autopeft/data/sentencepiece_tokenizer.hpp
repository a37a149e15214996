#pragma once
// SentencePiece (Kudo & Richardson, 2018, "SentencePiece: A simple and language independent
// subword tokenizer and detokenizer for Neural Text Processing"; unigram: Kudo, 2018, "Subword
// Regularization") through the library itself: train a model on a corpus, load one, encode and
// decode.
//
// This header needs libsentencepiece: link with -lsentencepiece -lsentencepiece_train (pkg-config
// module `sentencepiece`). It is kept out of the umbrella header data/tokenizers.hpp so that
// users of the other tokenizers do not need the library.
//
// Keep it out of programs that link Debian's LibTorch: Debian's libsentencepiece bundles and
// exports protobuf 3.14, LibTorch loads the system's protobuf 3.21, and a process holding both
// aborts at start-up. Train and apply SentencePiece models in a separate program (the project's
// SentencePiece tests are their own executable for this reason).
//
// The special pieces have fixed ids, so that models can rely on them:
//   0 [PAD]   SentencePiece's pad piece (a control piece: never produced from text)
//   1 [UNK]   SentencePiece's unk piece
//   2 [CLS]   user-defined pieces: the text "[CLS]" encodes to them, and they decode to their text
//   3 [SEP]
//   4 [MASK]
//   5..       sentencepiece_options::user_defined_symbols, then the learned pieces
// There is no bos / eos piece (BERT framing: [CLS] A [SEP] B [SEP], token types 0 then 1).
#include <autopeft/data/detail/unicode.hpp>
#include <autopeft/data/sequence_template.hpp>
#include <autopeft/data/special_token_ids.hpp>
#include <autopeft/error.hpp>

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace autopeft::data {

enum class sentencepiece_model_type { unigram, bpe };

/// Training options (SentencePiece's trainer flags of the same names).
///
/// Example:
///   auto sp = data::sentencepiece_tokenizer::train(
///       "corpus.txt", "out/spm", {.vocab_size = 4000, .model_type = data::sentencepiece_model_type::bpe});
struct sentencepiece_options {
  std::int64_t vocab_size = 8000;
  sentencepiece_model_type model_type = sentencepiece_model_type::unigram;
  /// Share of the corpus' characters the model must cover; the rarest others become [UNK].
  /// 0.9995 suits large alphabets (CJK), 1.0 small ones.
  double character_coverage = 0.9995;
  /// "nmt_nfkc" (SentencePiece's default: NFKC, collapses runs of spaces), "nfkc", "identity", ...
  std::string normalization_rule_name = "nmt_nfkc";
  /// Extra pieces after [MASK] (ids 5, 6, ...), matched in text like [CLS].
  std::vector<std::string> user_defined_symbols = {};
  /// false: vocab_size is an upper bound (a small corpus may not support the full size).
  bool hard_vocab_limit = true;
  /// Sentences sampled for training, 0: all.
  std::int64_t input_sentence_size = 0;
  std::int32_t num_threads = 1;
};

/// A SentencePiece tokenizer; a model of data::tokenizer (see concepts.hpp). Copies share the
/// loaded model; encoding is thread-safe.
class sentencepiece_tokenizer {
 public:
  /// Trains on a text file (one sentence per line) and writes `model_prefix`.model and .vocab.
  /// Throws autopeft::error with SentencePiece's message if training fails.
  [[nodiscard]] static sentencepiece_tokenizer train(const std::filesystem::path& corpus,
                                                     const std::filesystem::path& model_prefix,
                                                     const sentencepiece_options& options = {}) {
    if (!std::filesystem::is_regular_file(corpus))
      throw file_error(corpus, "is not a file: sentencepiece_tokenizer::train needs a text corpus, "
                               "one sentence per line");
    auto args = train_args(options);
    args["input"] = corpus.string();
    args["model_prefix"] = model_prefix.string();
    check(sentencepiece::SentencePieceTrainer::Train(args), "training on " + corpus.string());
    return load(model_prefix.string() + ".model");
  }

  /// Trains on sentences in memory; nothing is written (save() writes the model).
  [[nodiscard]] static sentencepiece_tokenizer train(std::span<const std::string> sentences,
                                                     const sentencepiece_options& options = {}) {
    struct iterator : sentencepiece::SentenceIterator {
      std::span<const std::string> s;
      std::size_t i = 0;
      explicit iterator(std::span<const std::string> v) : s(v) {}
      bool done() const override { return i >= s.size(); }
      void Next() override { ++i; }
      const std::string& value() const override { return s[i]; }
      sentencepiece::util::Status status() const override { return {}; }
    } it(sentences);
    std::string proto;
    check(sentencepiece::SentencePieceTrainer::Train(train_args(options), &it, &proto),
          "training on " + std::to_string(sentences.size()) + " sentences");
    return from_serialized(std::move(proto));
  }

  /// Loads a .model file (the serialized ModelProto SentencePiece writes).
  [[nodiscard]] static sentencepiece_tokenizer load(const std::filesystem::path& model) {
    std::ifstream in(model, std::ios::binary);
    if (!in) throw file_error(model, "cannot open the SentencePiece model: check the path");
    std::ostringstream ss;
    ss << in.rdbuf();
    return from_serialized(ss.str(), model.string());
  }

  /// A tokenizer from a serialized ModelProto. Its special pieces need not be the ones this
  /// header trains with: their ids are looked up by name, -1 where absent (pad falls back to
  /// SentencePiece's own pad id).
  [[nodiscard]] static sentencepiece_tokenizer from_serialized(std::string proto,
                                                               const std::string& source = "the SentencePiece model") {
    sentencepiece_tokenizer t;
    t.proto_ = std::make_shared<const std::string>(std::move(proto));
    auto sp = std::make_shared<sentencepiece::SentencePieceProcessor>();
    const auto status = sp->LoadFromSerializedProto(*t.proto_);
    if (!status.ok())
      throw error(source + ": cannot load (" + status.ToString() +
                  "): is it a SentencePiece .model file, not the .vocab?");
    t.sp_ = std::move(sp);
    auto id = [&](const char* piece) -> std::int64_t {
      const int i = t.sp_->PieceToId(piece);
      return i == t.sp_->unk_id() && std::string_view(piece) != t.sp_->IdToPiece(i) ? -1 : i;
    };
    t.ids_ = {id("[CLS]"), id("[SEP]"), id("[PAD]"), id("[MASK]"), t.sp_->unk_id()};
    if (t.ids_.pad < 0 && t.sp_->pad_id() >= 0) t.ids_.pad = t.sp_->pad_id();
    return t;
  }

  /// Writes the model (a .model file that load() and SentencePiece itself read).
  void save(const std::filesystem::path& model) const {
    std::ofstream out(model, std::ios::binary);
    out.write(proto_->data(), static_cast<std::streamsize>(proto_->size()));
    if (!out) throw file_error(model, "cannot write the SentencePiece model: check the directory");
  }

  [[nodiscard]] std::vector<std::int64_t> encode(std::string_view text) const {
    std::vector<int> ids;
    check(sp_->Encode(text, &ids), "encoding");
    return {ids.begin(), ids.end()};
  }

  [[nodiscard]] std::vector<std::string> tokenize(std::string_view text) const {
    std::vector<std::string> pieces;
    check(sp_->Encode(text, &pieces), "encoding");
    return pieces;
  }

  /// The text of `ids`. Control pieces ([PAD]) decode to nothing; user-defined pieces ([CLS],
  /// [SEP], [MASK]) to their text unless skip_special_tokens.
  [[nodiscard]] std::string decode(std::span<const std::int64_t> ids, bool skip_special_tokens = false) const {
    std::vector<int> v;
    v.reserve(ids.size());
    for (auto id : ids) {
      if (id < 0 || id >= static_cast<std::int64_t>(vocab_size()))
        throw error("sentencepiece_tokenizer: id " + std::to_string(id) + " is outside the vocabulary [0, " +
                    std::to_string(vocab_size()) + ")");
      if (skip_special_tokens && (id == ids_.cls || id == ids_.sep || id == ids_.mask || id == ids_.pad)) continue;
      v.push_back(static_cast<int>(id));
    }
    std::string text;
    check(sp_->Decode(v, &text), "decoding");
    return text;
  }

  [[nodiscard]] std::size_t vocab_size() const { return static_cast<std::size_t>(sp_->GetPieceSize()); }
  [[nodiscard]] std::string id_to_token(std::int64_t id) const { return sp_->IdToPiece(static_cast<int>(id)); }
  [[nodiscard]] special_token_ids special_ids() const noexcept { return ids_; }
  /// [CLS] A [SEP] (B [SEP]), token types 0 then 1.
  [[nodiscard]] sequence_template post_processor() const { return sequence_template::bert(ids_); }
  /// The underlying processor, for what this class does not wrap (sampling, n-best).
  [[nodiscard]] const sentencepiece::SentencePieceProcessor& processor() const noexcept { return *sp_; }

 private:
  sentencepiece_tokenizer() = default;

  static void check(const sentencepiece::util::Status& s, const std::string& what) {
    if (!s.ok()) throw error("sentencepiece: " + what + " failed: " + s.ToString());
  }

  static std::unordered_map<std::string, std::string> train_args(const sentencepiece_options& o) {
    std::string symbols = "[CLS],[SEP],[MASK]";
    for (const auto& s : o.user_defined_symbols) {
      if (s.find(',') != std::string::npos)
        throw error("sentencepiece_options::user_defined_symbols: '" + s +
                    "' contains a comma, which SentencePiece uses as the list separator");
      symbols += "," + s;
    }
    std::ostringstream coverage;
    coverage.precision(17);
    coverage << o.character_coverage;
    return {
        {"vocab_size", std::to_string(o.vocab_size)},
        {"model_type", o.model_type == sentencepiece_model_type::bpe ? "bpe" : "unigram"},
        {"character_coverage", coverage.str()},
        {"normalization_rule_name", o.normalization_rule_name},
        {"hard_vocab_limit", o.hard_vocab_limit ? "true" : "false"},
        {"input_sentence_size", std::to_string(o.input_sentence_size)},
        {"num_threads", std::to_string(o.num_threads)},
        {"pad_id", "0"}, {"pad_piece", "[PAD]"},
        {"unk_id", "1"}, {"unk_piece", "[UNK]"},
        {"bos_id", "-1"}, {"eos_id", "-1"},
        {"user_defined_symbols", symbols},
        {"minloglevel", "2"},  // training logs only errors
    };
  }

  std::shared_ptr<const std::string> proto_;
  std::shared_ptr<sentencepiece::SentencePieceProcessor> sp_;
  special_token_ids ids_;
};

}  // namespace autopeft::data
