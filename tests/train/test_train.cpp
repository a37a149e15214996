// The training area's laws: MLM masking rates and invariants, the learning-rate schedule,
// HF's weight-decay groups, packing, pretraining that learns, resumption that equals an
// uninterrupted run, a written backbone that loads back with identical outputs, fine-tuning that
// fits a separable task, a zero-initialised adapter on a frozen backbone that starts at the
// backbone's logits, and a diverged loss that raises non_finite_loss.
#include <autopeft/data/wordpiece_trainer.hpp>
#include <autopeft/io/crc32.hpp>
#include <autopeft/io/hf_checkpoint.hpp>
#include <autopeft/peft/parallel_adapter.hpp>
#include <autopeft/peft/plan.hpp>
#include <autopeft/peft/trainable.hpp>
#include <autopeft/train.hpp>

#include "../support/scratch_dir.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace autopeft;

namespace {

// Sentences of a small grammar: masked words are predictable from their context.
std::vector<std::string> grammar_corpus(std::size_t n, unsigned seed) {
  static const std::vector<std::string> subjects = {"the cat", "a dog", "the old man", "my sister", "the bird", "a child"};
  static const std::vector<std::string> verbs = {"sees", "likes", "chases", "finds", "hears", "follows"};
  static const std::vector<std::string> objects = {"the ball", "a red apple", "the river", "some bread", "the moon", "a box"};
  static const std::vector<std::string> tails = {"every day", "at night", "in the garden", "near the house", "again", "slowly"};
  std::mt19937 rng(seed);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i)
    out.push_back(subjects[rng() % 6] + " " + verbs[rng() % 6] + " " + objects[rng() % 6] + " " + tails[rng() % 6] + ".");
  return out;
}

data::wordpiece_tokenizer grammar_tokenizer(const std::vector<std::string>& corpus) {
  return data::wordpiece_tokenizer(data::train_wordpiece(corpus, {.vocab_size = 120}));
}

// A tokenizer over a fixed word list, as in data/concepts.hpp: ids 0..4 are the specials.
struct word_tokenizer {
  std::vector<std::string> words{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
  std::vector<std::int64_t> encode(std::string_view text) const {
    std::vector<std::int64_t> ids;
    std::istringstream in{std::string(text)};
    for (std::string w; in >> w;) {
      auto it = std::find(words.begin(), words.end(), w);
      ids.push_back(it == words.end() ? 1 : it - words.begin());
    }
    return ids;
  }
  data::special_token_ids special_ids() const { return {.cls = 2, .sep = 3, .pad = 0, .mask = 4, .unk = 1}; }
  data::sequence_template post_processor() const { return data::sequence_template::bert(special_ids()); }
  std::size_t vocab_size() const { return words.size(); }
};

// A two-class task: the class is which marker word ("red" or "blue") appears among filler words.
data::task marker_task(word_tokenizer& tok, std::size_t n_train, std::size_t n_dev) {
  for (int i = 0; i < 20; ++i) tok.words.push_back("w" + std::to_string(i));
  tok.words.push_back("red");
  tok.words.push_back("blue");
  std::mt19937 rng(7);
  auto make = [&](std::size_t n) {
    std::vector<data::example> v;
    for (std::size_t i = 0; i < n; ++i) {
      data::example e;
      e.label = static_cast<std::int64_t>(rng() % 2);
      const auto len = 4 + rng() % 8, at = rng() % len;
      for (std::size_t k = 0; k < len; ++k)
        e.text_a += (k ? " " : "") + (k == at ? std::string(e.label ? "blue" : "red") : "w" + std::to_string(rng() % 20));
      v.push_back(e);
    }
    return v;
  };
  data::task t;
  t.info = {.name = "marker", .labels = {"red", "blue"}};
  t.train = make(n_train);
  t.dev = make(n_dev);
  return t;
}

model::EncoderConfig small_config(std::int64_t vocab, std::int64_t labels = 2) {
  auto c = model::EncoderConfig::bert_base();
  c.vocab_size = vocab;
  c.hidden_size = 32;
  c.num_hidden_layers = 1;
  c.num_attention_heads = 2;
  c.intermediate_size = 64;
  c.max_position_embeddings = 64;
  c.num_labels = labels;
  return c;
}

train::mlm_pretrainer_options small_pretraining(std::int64_t steps) {
  train::mlm_pretrainer_options o;
  o.model = small_config(0);
  o.max_seq_length = 32;
  o.train_batch_size = 16;
  o.max_steps = steps;
  o.learning_rate = 3e-3;
  o.warmup_steps = 2;
  o.seed = 5;
  return o;
}

double mean(const std::vector<double>& v, std::size_t from, std::size_t to) {
  double s = 0;
  for (auto i = from; i < to; ++i) s += v[i];
  return s / static_cast<double>(to - from);
}

}  // namespace

TEST_CASE("MLM masking selects 15% of ordinary tokens and splits them 80/10/10", "[train][mlm]") {
  const std::int64_t vocab = 1000, cls = 2, sep = 3, pad = 0, mask = 4;
  auto ids = torch::randint(5, vocab, {400, 128}, torch::kLong);
  ids.select(1, 0).fill_(cls);
  ids.select(1, 127).fill_(sep);
  ids.narrow(0, 0, 100).narrow(1, 100, 28).fill_(pad);  // padded rows
  const std::int64_t specials[] = {cls, sep, pad, mask};
  const auto special = train::special_tokens_mask(ids, specials);
  const auto out = train::mlm_masking{}(ids, special, mask, vocab, train::detail::generator(3, train::detail::stream::masking, 0));

  const auto selected = out.labels.ne(-100);
  CHECK(selected.logical_and(special).sum().item<std::int64_t>() == 0);             // never specials or pad
  CHECK(torch::equal(out.labels.masked_select(selected), ids.masked_select(selected)));  // labels: the originals
  CHECK(torch::equal(out.input_ids.masked_select(selected.logical_not()), ids.masked_select(selected.logical_not())));
  const double ordinary = special.logical_not().sum().item<double>();
  const double n = selected.sum().item<double>();
  CHECK(n / ordinary == Approx(0.15).margin(0.01));
  const double masked = out.input_ids.eq(mask).logical_and(selected).sum().item<double>();
  const double kept = out.input_ids.eq(ids).logical_and(selected).sum().item<double>();
  const double replaced = n - masked - kept;
  CHECK(masked / n == Approx(0.8).margin(0.02));
  CHECK(kept / n == Approx(0.1).margin(0.015));  // (a random draw equal to the original counts here: 0.01%)
  CHECK(replaced / n == Approx(0.1).margin(0.015));

  // The same generator seed gives the same batch, another seed another one.
  const auto again = train::mlm_masking{}(ids, special, mask, vocab, train::detail::generator(3, train::detail::stream::masking, 0));
  CHECK(torch::equal(again.input_ids, out.input_ids));
  const auto other = train::mlm_masking{}(ids, special, mask, vocab, train::detail::generator(3, train::detail::stream::masking, 1));
  CHECK_FALSE(torch::equal(other.labels, out.labels));

  const train::mlm_masking too_much{.mask_replace_prob = 0.95, .random_replace_prob = 0.1};
  CHECK_THROWS_WITH(too_much.validate(), Catch::Contains("must not exceed 1"));
}

TEST_CASE("The linear schedule warms up and decays as HF's get_linear_schedule_with_warmup", "[train][schedule]") {
  const train::linear_schedule s{2.0, 10, 110};
  CHECK(s.lr(0) == 0.0);
  CHECK(s.lr(5) == Approx(1.0));
  CHECK(s.lr(10) == Approx(2.0));
  CHECK(s.lr(60) == Approx(1.0));
  CHECK(s.lr(109) == Approx(2.0 / 100));
  CHECK(s.lr(110) == 0.0);
  CHECK(s.lr(500) == 0.0);
  CHECK(train::linear_schedule::with_warmup_ratio(1.0, 100, 0.06).warmup_steps == 6);
  CHECK(train::linear_schedule{1.0, 0, 4}.lr(0) == 1.0);  // no warm-up: full rate at once

  auto a = torch::zeros({2}, torch::requires_grad()), b = torch::zeros({2}, torch::requires_grad());
  torch::optim::AdamW opt({torch::optim::OptimizerParamGroup({a}), torch::optim::OptimizerParamGroup({b})});
  s.apply(opt, 5);
  for (auto& g : opt.param_groups()) CHECK(g.options().get_lr() == Approx(1.0));
}

TEST_CASE("AdamW groups exempt biases and LayerNorm weights from decay, and skip frozen parameters", "[train][optim]") {
  model::SequenceClassifier<> m(small_config(50));
  m->classifier->weight.set_requires_grad(false);
  const auto groups = train::adamw_param_groups(*m, torch::optim::AdamWOptions(1e-3).weight_decay(0.1));
  REQUIRE(groups.size() == 2);
  std::int64_t in_groups = 0, trainable = 0;
  for (const auto& p : m->parameters()) trainable += p.requires_grad() ? p.numel() : 0;
  for (const auto& g : groups)
    for (const auto& p : g.params()) in_groups += p.numel();
  CHECK(in_groups == trainable);
  for (const auto& p : m->named_parameters()) {
    const bool exempt = p.key().find("bias") != std::string::npos || p.key().find("LayerNorm") != std::string::npos;
    const auto& decayed = groups[0].params();
    const bool in_decay = std::any_of(decayed.begin(), decayed.end(), [&](const torch::Tensor& t) { return t.is_same(p.value()); });
    INFO(p.key());
    CHECK(in_decay == (!exempt && p.value().requires_grad()));
  }
  CHECK(static_cast<const torch::optim::AdamWOptions&>(groups[0].options()).weight_decay() == 0.1);
  CHECK(static_cast<const torch::optim::AdamWOptions&>(groups[1].options()).weight_decay() == 0.0);
  CHECK(static_cast<const torch::optim::AdamWOptions&>(groups[1].options()).lr() == 1e-3);
}

TEST_CASE("pack_documents frames blocks as [CLS] A [SEP] B and drops the tail", "[train][mlm]") {
  const std::vector<std::vector<std::int64_t>> docs{{5, 6, 7}, {8, 9}, {}, {10, 11}};
  const auto p = train::pack_documents(docs, 4, 2, 3);
  REQUIRE(p.size() == 3);  // stream 5 6 7 | 3 8 9 | 3 10 11 | 3: the last, short block is dropped
  CHECK(torch::equal(p.input_ids, torch::tensor({2, 5, 6, 7, 2, 3, 8, 9, 2, 3, 10, 11}, torch::kLong).view({3, 4})));
  CHECK(torch::equal(p.token_type_ids, torch::tensor({0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1}, torch::kLong).view({3, 4})));
  CHECK_THROWS_WITH(train::pack_documents(docs, 1, 2, 3), Catch::Contains("max_seq_length"));
}

TEST_CASE("PPMI embeddings put co-occurring tokens close and leave ignored tokens at zero", "[train][mlm]") {
  // Two topics: rows draw tokens 5..14 or 15..24, never both.
  std::mt19937 rng(4);
  auto rows = torch::empty({400, 16}, torch::kLong);
  for (std::int64_t r = 0; r < 400; ++r)
    for (std::int64_t i = 0; i < 16; ++i) rows[r][i] = (r % 2 ? 15 : 5) + static_cast<std::int64_t>(rng() % 10);
  rows.select(1, 0).fill_(2);  // [CLS], ignored
  const std::int64_t ignore[] = {0, 1, 2, 3, 4};
  const auto e = train::ppmi_embeddings(rows, 30, 8, ignore, train::detail::generator(1, train::detail::stream::subset, 0));
  REQUIRE(e.sizes() == torch::IntArrayRef({30, 8}));
  CHECK(e.narrow(0, 0, 5).abs().sum().item<double>() == 0.0);   // specials
  CHECK(e.narrow(0, 25, 5).abs().sum().item<double>() == 0.0);  // never seen
  const auto seen = e.narrow(0, 5, 20);
  CHECK(seen.std().item<double>() == Approx(0.02).margin(1e-3));
  const auto n = torch::nn::functional::normalize(seen, torch::nn::functional::NormalizeFuncOptions().dim(1));
  const auto cos = n.mm(n.t());
  const double within = (cos.narrow(0, 0, 10).narrow(1, 0, 10).mean().item<double>() + cos.narrow(0, 10, 10).narrow(1, 10, 10).mean().item<double>()) / 2;
  const double across = cos.narrow(0, 0, 10).narrow(1, 10, 10).mean().item<double>();
  CHECK(within > across + 0.5);
}

TEST_CASE("Pretraining lowers the MLM loss; a resumed run ends with the uninterrupted run's weights", "[train][mlm][pretrain]") {
  torch::set_num_threads(1);  // bitwise comparison: one thread, one reduction order
  const auto corpus = grammar_corpus(600, 1);
  const auto tok = grammar_tokenizer(corpus);
  testing::scratch_dir a("pretrain-a"), b("pretrain-b");

  auto o = small_pretraining(20);
  o.output_dir = a.path;
  o.save_steps = 8;
  const auto full = train::mlm_pretrainer(o).train(tok, corpus);
  REQUIRE(full.loss_history.size() == 20);
  CHECK(mean(full.loss_history, 15, 20) < mean(full.loss_history, 0, 5) - 0.5);
  CHECK(train::training_checkpoint::latest(a.path / "checkpoints")->step == 16);  // save_total_limit 1

  // Interrupted after step 10 (a checkpoint exists at 8), then resumed.
  o.output_dir = b.path;
  const train::progress_callback crash = [](const train::progress& p) {
    if (p.step == 10) throw std::runtime_error("killed");
  };
  CHECK_THROWS_WITH(train::mlm_pretrainer(o).train(tok, corpus, crash), "killed");
  const auto resumed = train::mlm_pretrainer(o).train(tok, corpus);
  CHECK(resumed.resumed_from_step == 8);
  CHECK(resumed.loss_history == full.loss_history);
  auto pa = full.model->named_parameters(), pb = resumed.model->named_parameters();
  REQUIRE(pa.size() == pb.size());
  for (const auto& p : pa) {
    INFO(p.key());
    CHECK(torch::equal(p.value(), pb[p.key()]));
  }

  // A checkpoint of other options is refused rather than silently continued.
  auto changed = o;
  changed.learning_rate = 1e-3;
  CHECK_THROWS_WITH(train::mlm_pretrainer(changed).train(tok, corpus), Catch::Contains("other options or data"));
  torch::set_num_threads(2);
}

TEST_CASE("Checkpoint listing ignores temporary and incomplete directories", "[train][checkpoint]") {
  testing::scratch_dir d("ckpt");
  std::filesystem::create_directories(d / ".checkpoint-9.tmp-123");
  std::filesystem::create_directories(d / "checkpoint-7");  // no trainer_state.json: a crash mid-write
  std::filesystem::create_directories(d / "checkpoint-x");
  CHECK_FALSE(train::training_checkpoint::latest(d.path).has_value());
}

TEST_CASE("A saved backbone loads back with identical outputs and its tokenizer", "[train][backbone]") {
  const auto corpus = grammar_corpus(300, 2);
  const auto tok = grammar_tokenizer(corpus);
  auto r = train::mlm_pretrainer(small_pretraining(3)).train(tok, corpus);
  testing::scratch_dir d("backbone");
  train::save_backbone(d.path, r, tok, {}, 32);

  auto loaded = io::from_pretrained<model::MaskedLM<>>(d.path);
  loaded->eval();
  CHECK(loaded->config().vocab_size == static_cast<std::int64_t>(tok.vocab_size()));
  CHECK(loaded->config().hidden_dropout_prob == Approx(0.1));  // the fine-tuning dropout, not pretraining's 0
  const auto ids = torch::tensor(tok.encode("the cat sees the moon again.")).unsqueeze(0);
  torch::NoGradGuard no_grad;
  CHECK(torch::equal(loaded->forward(ids), r.model->forward(ids)));

  const auto backbone = train::pretrained_backbone::load(d.path);
  CHECK(backbone.tokenizer().encode("a dog follows the moon") == tok.encode("a dog follows the moon"));
  CHECK(backbone.max_seq_length() == 32);
  auto classifier = backbone.sequence_classifier(3);
  CHECK(torch::equal(classifier->backbone->embeddings->word_embeddings->weight,
                     r.model->backbone->embeddings->word_embeddings->weight));
  CHECK(classifier->config().num_labels == 3);
}

TEST_CASE("A damaged backbone file is named before anything parses it", "[train][backbone][faults]") {
  CHECK(io::crc32(std::string_view("123456789")) == 0xcbf43926u);  // the standard check value
  CHECK(io::crc32(std::string_view("6789"), io::crc32(std::string_view("12345"))) == 0xcbf43926u);
  const auto corpus = grammar_corpus(300, 2);
  const auto tok = grammar_tokenizer(corpus);
  auto r = train::mlm_pretrainer(small_pretraining(2)).train(tok, corpus);
  testing::scratch_dir d("damaged-backbone");
  train::save_backbone(d / "good", r, tok, {}, 32);
  CHECK(train::backbone_manifest::load(d / "good").files.size() == 3);
  CHECK_NOTHROW((void)train::pretrained_backbone::load(d / "good"));

  auto damaged = [&](const std::string& file, const std::function<void(const std::filesystem::path&)>& harm) {
    testing::remove_tree(d / "bad");
    std::filesystem::copy(d / "good", d / "bad", std::filesystem::copy_options::recursive);
    harm(d / "bad" / file);
    return d / "bad";
  };
  auto flip_byte = [](std::streamoff at) {
    return [at](const std::filesystem::path& f) {
      std::fstream io(f, std::ios::in | std::ios::out | std::ios::binary);
      io.seekg(at < 0 ? static_cast<std::streamoff>(std::filesystem::file_size(f)) + at : at);
      char c = 0;
      io.get(c);
      io.seekp(at < 0 ? static_cast<std::streamoff>(std::filesystem::file_size(f)) + at : at);
      io.put(static_cast<char>(c ^ 0x10));
    };
  };
  auto truncate_to_half = [](const std::filesystem::path& f) {
    std::filesystem::resize_file(f, std::filesystem::file_size(f) / 2);
  };
  using Catch::Contains;
  // A bit flipped in the tensor data: the safetensors format has no checksum, the manifest does.
  CHECK_THROWS_WITH(train::pretrained_backbone::load(damaged("model.safetensors", flip_byte(-100))),
                    Contains("model.safetensors: is damaged: its CRC-32 is") && Contains("pretrain it again"));
  CHECK_THROWS_WITH(train::pretrained_backbone::load(damaged("model.safetensors", truncate_to_half)),
                    Contains("model.safetensors: is") && Contains("truncated"));
  CHECK_THROWS_WITH(train::pretrained_backbone::load(damaged("config.json", flip_byte(10))),
                    Contains("config.json: is damaged"));
  CHECK_THROWS_WITH(train::pretrained_backbone::load(damaged("vocab.txt", [](const auto& f) { std::filesystem::remove(f); })),
                    Contains("vocab.txt: is missing"));
  // A directory saved before manifests listed files still loads.
  auto older = damaged("autopeft.json", [](const std::filesystem::path& f) {
    auto j = nlohmann::json::parse(std::ifstream(f));
    j.erase("files");
    std::ofstream(f) << j.dump();
  });
  CHECK_NOTHROW((void)train::pretrained_backbone::load(older));
}

TEST_CASE("Recipes read from JSON name the offending field", "[train][backbone]") {
  const auto tiny = train::backbone_recipe::tiny();
  auto r = train::backbone_recipe::from_json(nlohmann::json::parse(R"({"pretraining": {"max_steps": 7}, "model": {"hidden_size": 64}})"), "r.json");
  CHECK(r.pretraining.max_steps == 7);
  CHECK(r.pretraining.model.hidden_size == 64);
  CHECK(r.pretraining.model.num_hidden_layers == tiny.pretraining.model.num_hidden_layers);
  CHECK(r.fingerprint() != tiny.fingerprint());
  CHECK_THROWS_WITH(train::backbone_recipe::from_json(nlohmann::json::parse(R"({"pretraining": {"max_step": 7}})"), "r.json"),
                    Catch::Contains("r.json: field 'pretraining': unknown field 'max_step'"));
  CHECK_THROWS_WITH(train::backbone_recipe::from_json(nlohmann::json::parse(R"({"model": {"hidden_size": "big"}})"), "r.json"),
                    Catch::Contains("field 'hidden_size' holds \"big\" but must be an integer"));
  CHECK_THROWS_WITH(train::backbone_recipe::named("huge"), Catch::Contains("tiny") && Catch::Contains("gpu"));
}

TEST_CASE("default_backbone builds once into the cache and trusts only complete entries", "[train][backbone][cache]") {
  if (!std::filesystem::exists("/usr/share/wordnet/data.noun") || !std::filesystem::exists("/usr/share/games/fortunes"))
    return;  // needs wordnet-base and fortunes (scripts/install-deps.sh installs them)
  testing::scratch_dir cache("cache");
  auto recipe = train::backbone_recipe::tiny();
  recipe.name = "micro";
  recipe.tokenizer.vocab_size = 300;
  auto& p = recipe.pretraining;
  p.model = small_config(0);
  p.model.hidden_size = 16;
  p.model.intermediate_size = 32;
  p.max_seq_length = 16;
  p.train_batch_size = 4;
  p.max_steps = 2;
  p.save_steps = 1;
  const auto dir = train::default_backbone({.recipe = recipe, .fallback = std::nullopt, .cache_dir = cache.path});
  CHECK(dir == cache / "backbones" / ("micro-" + recipe.fingerprint()));
  CHECK(train::detail::complete_entry(dir, recipe.fingerprint()));
  CHECK_FALSE(std::filesystem::exists(dir / "checkpoints"));
  CHECK_FALSE(std::filesystem::exists(cache / "backbones" / ("micro-" + recipe.fingerprint() + ".partial")));
  const auto written = std::filesystem::last_write_time(dir / "model.safetensors");
  CHECK(train::default_backbone({.recipe = recipe, .cache_dir = cache.path}) == dir);  // reused, not rebuilt
  CHECK(std::filesystem::last_write_time(dir / "model.safetensors") == written);
  CHECK(train::pretrained_backbone::load(dir).config().hidden_size == 16);

  // A directory without the marker (a crashed or foreign build) or with another recipe's is not complete.
  CHECK_FALSE(train::detail::complete_entry(dir.parent_path() / "elsewhere", recipe.fingerprint()));
  CHECK_FALSE(train::detail::complete_entry(dir, "0123456789abcdef"));

  // A shipped entry of the recipe is used where it lies: nothing is built into an empty cache.
  testing::scratch_dir shipped("shipped"), cache2("cache2"), cache3("cache3");
  std::filesystem::copy(dir, shipped / dir.filename(), std::filesystem::copy_options::recursive);
  CHECK(train::default_backbone({.recipe = recipe, .cache_dir = cache2.path, .shipped_dir = shipped.path}) ==
        shipped / dir.filename());
  // A recipe neither cached nor shipped gives way to the fallback, which is built (or found) instead.
  auto longer = recipe;
  longer.name = "micro_long";
  longer.pretraining.max_steps = 1000000;
  std::string fallback_log;
  CHECK(train::default_backbone({.recipe = longer, .fallback = recipe, .cache_dir = cache.path,
                                 .log = [&fallback_log](const std::string& l) { fallback_log += l + "\n"; }}) == dir);
  CHECK_THAT(fallback_log, Catch::Contains("no cached or shipped backbone 'micro_long'") && Catch::Contains("using the recipe 'micro'") &&
                               Catch::Contains("autopeft pretrain --config micro_long"));
  CHECK_FALSE(std::filesystem::exists(cache / "backbones" / ("micro_long-" + longer.fingerprint() + ".partial")));
  CHECK_FALSE(std::filesystem::exists(cache2 / "backbones" / dir.filename()));
  // A damaged shipped file is reported, and the recipe builds the backbone into the cache.
  {
    std::fstream f(shipped / dir.filename() / "model.safetensors", std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(-3, std::ios::end);
    const char c = static_cast<char>(f.get());
    f.seekp(-3, std::ios::end);
    f.put(static_cast<char>(~c));
  }
  std::string log;
  const auto rebuilt = train::default_backbone(
      {.recipe = recipe, .fallback = std::nullopt, .cache_dir = cache3.path, .log = [&log](const std::string& l) { log += l + "\n"; }, .shipped_dir = shipped.path});
  CHECK(rebuilt == cache3 / "backbones" / dir.filename());
  CHECK_THAT(log, Catch::Contains("shipped backbone is not usable") && Catch::Contains("model.safetensors"));
  CHECK(train::pretrained_backbone::load(rebuilt).config().hidden_size == 16);
}

TEST_CASE("the shipped default backbone is the tiny_long recipe's, and its files are intact", "[train][backbone][cache]") {
#ifdef AUTOPEFT_SHIPPED_BACKBONES_DIR
  const auto recipe = train::default_backbone_options{}.recipe;
  CHECK(recipe.name == "tiny_long");
  CHECK(recipe.fingerprint() == train::backbone_recipe::tiny_long().fingerprint());
  const auto dir = std::filesystem::path(AUTOPEFT_SHIPPED_BACKBONES_DIR) / (recipe.name + "-" + recipe.fingerprint());
  // A recipe change without new shipped weights would silently fall back to the weaker "tiny"
  // backbone, pretrained for minutes on every fresh machine: rebuild them (share/backbones/README.md).
  REQUIRE(train::detail::complete_entry(dir, recipe.fingerprint()));
  train::backbone_manifest::load(dir).verify_files(dir);
  CHECK(train::pretrained_backbone::load(dir).config().hidden_size == recipe.pretraining.model.hidden_size);
#else
  FAIL("the build does not define AUTOPEFT_SHIPPED_BACKBONES_DIR (CMakeLists.txt sets it on the autopeft target)");
#endif
}

TEST_CASE("Full fine-tuning fits a separable task", "[train][trainer]") {
  word_tokenizer tok;
  const auto task = marker_task(tok, 400, 100);
  torch::manual_seed(0);
  model::SequenceClassifier<> m(small_config(static_cast<std::int64_t>(tok.vocab_size())));
  train::trainer_options o;
  o.num_train_epochs = 4;
  o.learning_rate = 3e-3;
  o.warmup_ratio = 0.1;
  o.train_batch_size = 16;
  const auto r = train::trainer(o).fit(m, task, tok);
  CHECK(r.best_metric > 0.95);
  CHECK(r.steps == 4 * 25);
  CHECK(r.eval_history.size() == 4);
  CHECK(r.loss_history.size() == 100);
  CHECK(mean(r.loss_history, 90, 100) < 0.3);
  CHECK(r.final_metric == r.eval_history.back().second);

  data::task wrong = task;
  wrong.info.labels.push_back("green");
  CHECK_THROWS_WITH(train::trainer(o).fit(m, wrong, tok), Catch::Contains("num_labels"));
}

TEST_CASE("A zero-initialised adapter on a frozen backbone starts at the backbone's logits and trains alone", "[train][trainer][peft]") {
  word_tokenizer tok;
  const auto task = marker_task(tok, 128, 64);
  const auto config = small_config(static_cast<std::int64_t>(tok.vocab_size()));
  torch::manual_seed(1);
  model::SequenceClassifier<> plain(config);
  using family = peft::plan<peft::parallel_adapter>;
  model::SequenceClassifier<family> adapted(config, family{peft::parallel_adapter{}.bottleneck_size(4)});
  {
    torch::NoGradGuard no_grad;
    auto source = plain->named_parameters();
    for (auto& p : adapted->named_parameters())
      if (!peft::is_peft_parameter(p.key())) p.value().copy_(source[p.key()]);
  }
  const auto counts = peft::mark_trainable(adapted);
  CHECK(counts.trainable < counts.total / 5);
  std::map<std::string, torch::Tensor> before;
  for (const auto& p : adapted->named_parameters()) before[p.key()] = p.value().clone();

  plain->eval();
  adapted->eval();
  const auto ids = torch::tensor(tok.encode("w1 w2 red w3")).unsqueeze(0);
  {
    torch::NoGradGuard no_grad;
    CHECK(torch::equal(adapted->forward(ids), plain->forward(ids)));
  }
  train::trainer_options o;
  o.num_train_epochs = 1;
  o.learning_rate = 1e-2;
  train::trainer(o).fit(adapted, task, tok);
  for (const auto& p : adapted->named_parameters()) {
    INFO(p.key());
    const bool frozen = !p.value().requires_grad();
    CHECK(torch::equal(p.value(), before[p.key()]) == frozen);
  }
}

TEST_CASE("A NaN loss raises non_finite_loss naming the step", "[train][trainer]") {
  word_tokenizer tok;
  const auto task = marker_task(tok, 32, 16);
  model::SequenceClassifier<> m(small_config(static_cast<std::int64_t>(tok.vocab_size())));
  {
    torch::NoGradGuard no_grad;
    m->classifier->weight.fill_(std::numeric_limits<float>::quiet_NaN());
  }
  try {
    train::trainer(train::trainer_options{}).fit(m, task, tok);
    FAIL("no exception");
  } catch (const train::non_finite_loss& e) {
    CHECK(e.step() == 0);
    CHECK(std::isnan(e.loss()));
    CHECK_THAT(e.what(), Catch::Contains("NaN at step 0") && Catch::Contains("marker"));
    const autopeft::error& base = e;  // a search catches autopeft::error
    CHECK(std::string(base.what()).size() > 0);
  }
}

namespace {

// Four tensors in two param groups (one with weight decay, one without) and gradients that
// depend on the parameters, so that any difference between two optimizers grows step by step.
struct adamw_problem {
  static constexpr std::int64_t steps = 20;
  std::vector<torch::Tensor> params;

  explicit adamw_problem(torch::Dtype dtype) {
    torch::manual_seed(11);
    for (const auto& shape : std::vector<std::vector<std::int64_t>>{{4, 3}, {5}, {2, 2, 2}, {3}})
      params.push_back(torch::randn(shape, torch::TensorOptions(dtype)).requires_grad_());
  }

  template <class Optimizer>
  Optimizer optimizer() const {
    const auto options = torch::optim::AdamWOptions(1e-2).betas({0.8, 0.95}).eps(1e-6).weight_decay(0.1);
    auto no_decay = std::make_unique<torch::optim::AdamWOptions>(options);
    no_decay->weight_decay(0);
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(std::vector<torch::Tensor>{params[0], params[1]}, std::make_unique<torch::optim::AdamWOptions>(options));
    groups.emplace_back(std::vector<torch::Tensor>{params[2], params[3]}, std::move(no_decay));
    return Optimizer(std::move(groups), options);
  }

  // Steps [from, to): the schedule sets every group's lr, then the second group gets half of it.
  // At step 7 the second tensor has no gradient, so it falls one step behind its group.
  void run(torch::optim::Optimizer& opt, std::int64_t from, std::int64_t to) {
    const train::linear_schedule schedule{1e-2, 3, steps};
    for (std::int64_t s = from; s < to; ++s) {
      schedule.apply(opt, s);
      opt.param_groups()[1].options().set_lr(schedule.lr(s) / 2);
      for (std::size_t i = 0; i < params.size(); ++i) {
        const auto& p = params[i];
        params[i].mutable_grad() =
            s == 7 && i == 1 ? torch::Tensor() : (torch::sin(3 * p) + 0.05 * static_cast<double>(i + 1) * p * p).detach();
      }
      opt.step();
    }
  }
};

double relative_difference(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>() / b.abs().max().item<double>();
}

}  // namespace

TEST_CASE("multi_tensor_adamw takes torch::optim::AdamW's steps: groups, lr schedule, skipped gradients", "[train][optim]") {
  for (const auto& [dtype, tolerance] : {std::pair{torch::kFloat, 1e-6}, std::pair{torch::kDouble, 1e-12}}) {
    INFO(c10::toString(dtype));
    adamw_problem reference(dtype), multi(dtype);
    const auto start = reference.params[0].detach().clone();
    auto a = reference.optimizer<torch::optim::AdamW>();
    auto b = multi.optimizer<train::multi_tensor_adamw>();
    reference.run(a, 0, adamw_problem::steps);
    multi.run(b, 0, adamw_problem::steps);
    CHECK(relative_difference(reference.params[0], start) > 0.05);  // the run went somewhere
    for (std::size_t i = 0; i < reference.params.size(); ++i) {
      INFO("tensor " << i);
      CHECK(relative_difference(multi.params[i], reference.params[i]) <= tolerance);
    }
  }
}

TEST_CASE("multi_tensor_adamw saves torch::optim::AdamW's state format and refuses amsgrad", "[train][optim]") {
  // Ten steps with AdamW, its state saved and loaded into multi_tensor_adamw over a copy of the
  // parameters, ten more steps with each: the two end equal, as if nothing had been swapped.
  adamw_problem reference(torch::kDouble);
  auto a = reference.optimizer<torch::optim::AdamW>();
  reference.run(a, 0, 10);
  std::stringstream saved;
  torch::save(a, saved);
  adamw_problem swapped(torch::kDouble);
  for (std::size_t i = 0; i < swapped.params.size(); ++i) {
    torch::NoGradGuard no_grad;
    swapped.params[i].copy_(reference.params[i]);
  }
  auto b = swapped.optimizer<train::multi_tensor_adamw>();
  torch::load(b, saved);
  reference.run(a, 10, adamw_problem::steps);
  swapped.run(b, 10, adamw_problem::steps);
  for (std::size_t i = 0; i < reference.params.size(); ++i) {
    INFO("tensor " << i);
    CHECK(relative_difference(swapped.params[i], reference.params[i]) <= 1e-12);
  }
  // And back: multi_tensor_adamw's state, saved and loaded into an AdamW over the reference's
  // parameters, is the reference's own state.
  std::stringstream again;
  torch::save(b, again);
  auto c = reference.optimizer<torch::optim::AdamW>();
  torch::load(c, again);
  REQUIRE(c.state().size() == reference.params.size());
  for (const auto& [key, state] : a.state()) {
    const auto& want = static_cast<const torch::optim::AdamWParamState&>(*state);
    const auto& got = static_cast<const torch::optim::AdamWParamState&>(*c.state().at(key));
    CHECK(got.step() == want.step());
    CHECK(relative_difference(got.exp_avg(), want.exp_avg()) <= 1e-12);
    CHECK(relative_difference(got.exp_avg_sq(), want.exp_avg_sq()) <= 1e-12);
  }

  auto p = torch::zeros({2}, torch::requires_grad());
  CHECK_THROWS_WITH(train::multi_tensor_adamw({p}, torch::optim::AdamWOptions(1e-3).amsgrad(true)),
                    Catch::Contains("amsgrad is not implemented"));
  CHECK_THROWS_WITH(train::multi_tensor_adamw({p}, torch::optim::AdamWOptions(1e-3).betas({0.9, 1.0})),
                    Catch::Contains("beta2 must lie in [0, 1)"));
}

TEST_CASE("The trainer checks token ids against the model's vocabulary on the host", "[train][trainer]") {
  // The model checks ids only on the CPU (on a GPU the check would block the host every step),
  // so the trainer checks the tokenised examples before any batch leaves the host.
  word_tokenizer tok;
  const auto task = marker_task(tok, 32, 16);
  const auto vocab = static_cast<std::int64_t>(tok.vocab_size());  // "blue", the last word, has id vocab - 1
  model::SequenceClassifier<> m(small_config(vocab - 1));
  const train::trainer t(train::trainer_options{});
  CHECK_THROWS_WITH(t.fit(m, task, tok), Catch::Contains("trainer: train example") &&
                                             Catch::Contains("token id " + std::to_string(vocab - 1)) &&
                                             Catch::Contains("vocab_size=" + std::to_string(vocab - 1)) &&
                                             Catch::Contains("use the tokenizer the backbone was trained with"));
  CHECK_THROWS_WITH(t.evaluate(m, task.info, task.dev, tok), Catch::Contains("trainer: evaluation example"));
  // CPU inputs keep the model's own check.
  const auto ids = torch::tensor(std::vector<std::int64_t>{2, vocab - 1, 3}).unsqueeze(0);
  CHECK_THROWS_WITH(m->forward(ids), Catch::Contains("outside [0, vocab_size="));

  // The pretrainer checks its packed blocks the same way.
  const auto o = small_pretraining(1);
  const train::packed_sequences blocks{torch::full({o.train_batch_size, o.max_seq_length}, 7, torch::kLong),
                                       torch::zeros({o.train_batch_size, o.max_seq_length}, torch::kLong)};
  CHECK_THROWS_WITH(train::mlm_pretrainer(o).train(blocks, tok.special_ids(), 7),
                    Catch::Contains("mlm_pretrainer: the blocks hold token id 7") && Catch::Contains("vocab_size=7"));
}

TEST_CASE("clip_grad_norm equals torch::nn::utils::clip_grad_norm_, without reading the norm back", "[train][optim]") {
  for (auto dtype : {torch::kFloat, torch::kDouble}) {
    for (double max_norm : {0.5, 1e3}) {  // clipping, and a norm within bounds (coefficient 1)
      INFO("dtype " << dtype << ", max_norm " << max_norm);
      torch::manual_seed(4);
      std::vector<torch::Tensor> a, b;
      for (auto shape : {std::vector<std::int64_t>{3, 4}, {5}, {2, 2, 2}}) {
        auto p = torch::randn(shape, torch::dtype(dtype)).requires_grad_(true);
        p.mutable_grad() = torch::randn(shape, torch::dtype(dtype));
        auto q = p.detach().clone().requires_grad_(true);
        q.mutable_grad() = p.grad().clone();
        a.push_back(p);
        b.push_back(q);
      }
      auto no_grad = torch::zeros({2}, torch::dtype(dtype)).requires_grad_(true);  // skipped
      a.push_back(no_grad);
      const auto ours = train::clip_grad_norm(a, max_norm);
      a.pop_back();
      const double theirs = torch::nn::utils::clip_grad_norm_(b, max_norm);
      CHECK(ours.item<double>() == Approx(theirs).epsilon(1e-6));
      for (std::size_t i = 0; i < a.size(); ++i) CHECK(torch::allclose(a[i].grad(), b[i].grad(), 1e-6, 1e-7));
    }
  }
  CHECK(!train::clip_grad_norm({torch::zeros({2}).requires_grad_(true)}, 1.0).defined());
  CHECK_THROWS_WITH(train::clip_grad_norm({}, 0.0), Catch::Contains("max_norm must be positive"));
}

TEST_CASE("cuda_graph_step keeps its contract on the CPU: fresh gradients each run, equal to an eager step", "[train][optim]") {
  torch::manual_seed(6);
  auto w = torch::randn({4, 3}).requires_grad_(true);
  auto frozen = torch::randn({3});
  const auto x = torch::randn({5, 4});
  auto input = torch::empty({5, 4});  // fixed storage, refilled each step
  train::cuda_graph_step step({w}, [&] { return (input.matmul(w) + frozen).pow(2).sum(); }, 1);
  train::multi_tensor_adamw opt({w}, torch::optim::AdamWOptions(0.1));
  auto w_ref = w.detach().clone().requires_grad_(true);
  train::multi_tensor_adamw opt_ref({w_ref}, torch::optim::AdamWOptions(0.1));
  for (int i = 0; i < 4; ++i) {
    input.copy_(x * (i + 1));
    const auto loss = step.run();
    opt.step();  // no zero_grad: run() replaces the gradients
    opt_ref.zero_grad();
    const auto ref = ((x * (i + 1)).matmul(w_ref) + frozen).pow(2).sum();
    ref.backward();
    opt_ref.step();
    CHECK(loss.item<double>() == Approx(ref.item<double>()).epsilon(1e-6));
    CHECK(torch::allclose(w.grad(), w_ref.grad(), 1e-6, 1e-6));  // not accumulated over steps
    CHECK(torch::allclose(w, w_ref, 1e-6, 1e-6));
  }
  CHECK(!step.graphed());  // graphs are for CUDA tensors
  CHECK_THROWS_WITH(train::cuda_graph_step({w}, {}), Catch::Contains("forward function is empty"));
  CHECK_THROWS_WITH(train::cuda_graph_step({frozen}, [&] { return w.sum(); }), Catch::Contains("does not require grad"));
}

TEST_CASE("collate pads to a multiple of pad_to_multiple_of, never beyond the cap, and tells whether it padded", "[train][trainer]") {
  train::detail::encoded_examples x;
  x.ids = {{1, 2, 3}, {4, 5, 6, 7, 8}, {9, 10, 11, 12, 13}};
  x.types = {{0, 0, 0}, {0, 0, 0, 0, 0}, {0, 0, 0, 0, 0}};
  const std::vector<std::int64_t> all{0, 1, 2}, equal{1, 2};
  auto b = train::detail::collate(x, all, 0);
  CHECK(b.input_ids.size(1) == 5);
  CHECK(b.padded);
  CHECK(b.tokens == 13);
  CHECK(b.model_mask().defined());
  b = train::detail::collate(x, equal, 0);  // nothing padded: no mask for the model
  CHECK(!b.padded);
  CHECK(!b.model_mask().defined());
  CHECK(b.tokens == 10);
  b = train::detail::collate(x, equal, 0, 8, 128);  // rounded up: now padded
  CHECK(b.input_ids.size(1) == 8);
  CHECK(b.padded);
  CHECK(b.attention_mask.sum().item<std::int64_t>() == 10);
  CHECK(b.input_ids.slice(1, 5).eq(0).all().item<bool>());
  b = train::detail::collate(x, equal, 0, 8, 6);  // the cap (max_seq_length) wins
  CHECK(b.input_ids.size(1) == 6);
  train::trainer_options o;
  o.pad_to_multiple_of = 0;
  CHECK_THROWS_WITH(o.validate(), Catch::Contains("pad_to_multiple_of"));
}
