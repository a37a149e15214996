#pragma once
// Everything that decides a pretrained backbone: the encoder's shape and the pretraining options
// (mlm_pretrainer_options), the WordPiece vocabulary's options and the embedded corpus' options.
// Three named recipes ship: "tiny" (about four minutes on two CPU cores), "tiny_long" (the same
// model pretrained about 90 times longer, minutes on a GPU; its weights ship in share/backbones as
// the default backbone) and "gpu" (a larger model for a GPU). A JSON file may start from either and override fields:
//
//   {"base": "tiny",
//    "model": {"hidden_size": 256, "num_hidden_layers": 4, "num_attention_heads": 4,
//              "intermediate_size": 1024},
//    "tokenizer": {"vocab_size": 8000, "min_frequency": 2, "lowercase": true},
//    "pretraining": {"max_steps": 2000, "learning_rate": 1e-3, "word_embedding_init": "ppmi"},
//    "data": {"seed": 20261122}}
//
// ("model" may also sit inside "pretraining"; the fields are those of EncoderConfig's config.json,
// mlm_pretrainer_options, wordpiece_trainer_options and embedded_benchmark_options.)
#include <autopeft/data/detail/fnv1a.hpp>
#include <autopeft/data/embedded_benchmark_options.hpp>
#include <autopeft/data/wordpiece_trainer.hpp>
#include <autopeft/error.hpp>
#include <autopeft/train/detail/json_options.hpp>
#include <autopeft/train/mlm_pretrainer_options.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace autopeft::train {

struct backbone_recipe {
  /// Bumped whenever the meaning of a recipe changes (corpus, packing, training loop): cached
  /// backbones of an older format are then rebuilt rather than reused.
  static constexpr int format_version = 1;

  std::string name = "tiny";
  mlm_pretrainer_options pretraining;
  data::wordpiece_trainer_options tokenizer;
  data::embedded_benchmark_options data;

  /// BERT-style post-LN encoder: hidden 128, 2 layers, 4 heads, FFN 512, an uncased WordPiece
  /// vocabulary of 8000, word embeddings started from PPMI vectors, 900 steps of 64 blocks of
  /// 64 tokens (3.7M tokens, about 1.2 passes over the corpus) at a peak rate of 2e-3. About 3.5
  /// minutes on 2 CPU cores; docs/results/pretrained_vs_random.md has the measurements and the
  /// choices (shorter blocks and the PPMI start leave the unigram plateau sooner).
  [[nodiscard]] static backbone_recipe tiny() {
    backbone_recipe r;
    r.name = "tiny";
    auto& m = r.pretraining.model;
    m.hidden_size = 128;
    m.num_hidden_layers = 2;
    m.num_attention_heads = 4;
    m.intermediate_size = 512;
    m.max_position_embeddings = 128;
    auto& p = r.pretraining;
    p.max_seq_length = 64;
    p.train_batch_size = 64;
    p.max_steps = 900;
    p.learning_rate = 2e-3;
    p.warmup_ratio = 0.05;
    p.save_steps = 100;
    r.tokenizer.vocab_size = 8000;
    return r;
  }

  /// The tiny model pretrained about 90 times longer: 20 000 steps of 256 blocks of 64 tokens
  /// (328M tokens, about 110 passes over the corpus) at a peak rate of 1e-3 with 2 % warm-up, and
  /// dropout 0.1 while pretraining (so many passes overfit without it). Hours on a CPU, minutes on
  /// a GPU: its weights ship in share/backbones and are the default backbone; "tiny" is the
  /// fallback that a CPU builds when they are missing. docs/results/pretrained_vs_random.md has
  /// the measurements.
  [[nodiscard]] static backbone_recipe tiny_long() {
    backbone_recipe r = tiny();
    r.name = "tiny_long";
    auto& p = r.pretraining;
    p.train_batch_size = 256;
    p.max_steps = 20000;
    p.learning_rate = 1e-3;  // 2e-3 diverged (NaN) at step 12 105 under bf16 on an H100
    p.warmup_ratio = 0.02;
    p.pretraining_dropout = 0.1;
    p.save_steps = 1000;
    return r;
  }

  /// Hidden 384, 6 layers, 6 heads, FFN 1536, 512 positions, 20 000 steps of 128 blocks of 128
  /// tokens (about 100 passes over the corpus) at a peak rate of 5e-4: for a GPU (bf16).
  [[nodiscard]] static backbone_recipe gpu() {
    backbone_recipe r = tiny();
    r.name = "gpu";
    auto& m = r.pretraining.model;
    m.hidden_size = 384;
    m.num_hidden_layers = 6;
    m.num_attention_heads = 6;
    m.intermediate_size = 1536;
    m.max_position_embeddings = 512;
    auto& p = r.pretraining;
    p.max_seq_length = 128;
    p.train_batch_size = 128;
    p.max_steps = 20000;
    p.learning_rate = 5e-4;
    p.warmup_ratio = 0.06;
    p.save_steps = 1000;
    return r;
  }

  /// "tiny", "tiny_long" or "gpu".
  [[nodiscard]] static backbone_recipe named(std::string_view name) {
    if (name == "tiny") return tiny();
    if (name == "tiny_long") return tiny_long();
    if (name == "gpu") return gpu();
    throw error("unknown backbone recipe '" + std::string(name) +
                "': use \"tiny\", \"tiny_long\", \"gpu\" or the path of a JSON recipe file (see train/backbone_recipe.hpp)");
  }

  /// The semantic content, which fingerprint() hashes (not where or how often it is saved).
  [[nodiscard]] nlohmann::json to_json() const {
    const auto& t = tokenizer;
    return {{"name", name},
            {"format_version", format_version},
            {"pretraining", pretraining.to_json()},
            {"tokenizer",
             {{"type", "wordpiece"},
              {"vocab_size", t.vocab_size},
              {"min_frequency", t.min_frequency},
              {"limit_alphabet", t.limit_alphabet},
              {"lowercase", t.normalizer.lowercase},
              {"strip_accents", t.normalizer.strips_accents()}}},
            {"data", {{"wordnet_dir", data.wordnet_dir.string()}, {"fortunes_dir", data.fortunes_dir.string()}, {"seed", data.seed}}}};
  }

  /// 16 hex digits of FNV-1a over to_json().
  [[nodiscard]] std::string fingerprint() const {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(data::detail::fnv1a64(to_json().dump())));
    return buf;
  }

  /// A recipe from JSON: "base" (default "tiny") overridden by the other fields. `where` names
  /// the source in messages.
  [[nodiscard]] static backbone_recipe from_json(const nlohmann::json& j, const std::string& where) {
    detail::json_options top(j, where);
    std::string base = "tiny", name;
    nlohmann::json model, pre, tok, dat;
    top.get("base", base).get("name", name).get("model", model).get("pretraining", pre).get("tokenizer", tok).get("data", dat);
    top.finish();
    backbone_recipe r;
    try {
      r = named(base);
    } catch (const error& e) {
      throw error(where + ": field 'base': " + e.what());
    }
    r.name = name.empty() ? "custom" : name;
    if (r.name.find_first_of("/\\") != std::string::npos || r.name.starts_with("."))
      throw error(where + ": field 'name' ('" + r.name + "') must not contain '/' or start with '.'");
    if (!pre.is_null()) r.pretraining.merge_json(pre, where + ": field 'pretraining'");
    if (!model.is_null()) {
      mlm_pretrainer_options::merge_model_json(r.pretraining.model, model, where + ": field 'model'");
      r.pretraining.validate();
    }
    if (!tok.is_null()) {
      detail::json_options t(tok, where + ": field 'tokenizer'");
      std::string type = "wordpiece";
      bool strip = r.tokenizer.normalizer.strips_accents();
      t.get("type", type)
          .get("vocab_size", r.tokenizer.vocab_size)
          .get("min_frequency", r.tokenizer.min_frequency)
          .get("limit_alphabet", r.tokenizer.limit_alphabet)
          .get("lowercase", r.tokenizer.normalizer.lowercase)
          .get("strip_accents", strip);
      t.finish();
      if (tok.contains("strip_accents")) r.tokenizer.normalizer.strip_accents = strip;
      if (type != "wordpiece")
        throw error(where + ": field 'tokenizer.type' is '" + type + "'; the backbone's tokenizer is \"wordpiece\"");
      if (r.tokenizer.vocab_size < 16) throw error(where + ": field 'tokenizer.vocab_size' must be at least 16");
    }
    if (!dat.is_null()) {
      detail::json_options d(dat, where + ": field 'data'");
      std::string wn = r.data.wordnet_dir.string(), fo = r.data.fortunes_dir.string();
      d.get("wordnet_dir", wn).get("fortunes_dir", fo).get("seed", r.data.seed);
      d.finish();
      r.data.wordnet_dir = wn;
      r.data.fortunes_dir = fo;
    }
    return r;
  }

  /// Reads a JSON recipe file; errors name the file and the field.
  [[nodiscard]] static backbone_recipe load(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) throw file_error(file, "cannot open the recipe file: check the path (or use --config tiny|gpu)");
    nlohmann::json j;
    try {
      in >> j;
    } catch (const nlohmann::json::exception& e) {
      throw file_error(file, std::string("is not valid JSON: ") + e.what());
    }
    return from_json(j, file.string());
  }
};

}  // namespace autopeft::train
