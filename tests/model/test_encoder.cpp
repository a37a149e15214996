#include <autopeft/io/hf_checkpoint.hpp>
#include <autopeft/model.hpp>
#include <autopeft/peft/intrinsic_said.hpp>
#include <autopeft/peft/lora.hpp>
#include <autopeft/peft/parallel_adapter.hpp>
#include <autopeft/peft/plan.hpp>
#include <autopeft/peft/prefix_tuning.hpp>
#include <autopeft/peft/trainable.hpp>
#include <autopeft/train/autocast.hpp>

#include "../support/scratch_dir.hpp"

namespace fs = std::filesystem;
using namespace autopeft;
using model::EncoderConfig;

namespace {

const fs::path fixtures = fs::path(AUTOPEFT_FIXTURES_DIR) / "hf";

EncoderConfig tiny(model::architecture a = model::architecture::bert) {
  auto c = a == model::architecture::bert ? EncoderConfig::bert_base() : EncoderConfig::roberta_base();
  c.vocab_size = 60;
  c.hidden_size = 24;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 3;
  c.intermediate_size = 40;
  c.max_position_embeddings = 40;
  return c;
}

struct fixture_io {
  torch::Tensor ids, mask, types;
  io::safetensors_content all;
};

fixture_io read_io(const std::string& name) {
  fixture_io f;
  f.all = io::load_safetensors(fixtures / name / "io.safetensors");
  f.ids = f.all.at("input_ids");
  f.mask = f.all.at("attention_mask");
  if (f.all.contains("token_type_ids")) f.types = f.all.at("token_type_ids");
  return f;
}

double max_diff(const torch::Tensor& a, const torch::Tensor& b) {
  REQUIRE(a.sizes() == b.sizes());
  return (a - b).abs().max().item<double>();
}

using testing::scratch_dir;

}  // namespace

TEST_CASE("HF parity: BERT and RoBERTa base models", "[model][parity]") {
  for (const auto* name : {"bert-base", "roberta-base"}) {
    INFO(name);
    auto m = io::from_pretrained<model::EncoderModel<>>(fixtures / name);
    m->eval();
    auto f = read_io(name);
    torch::NoGradGuard ng;
    auto out = m->forward(f.ids, f.mask, f.types);
    CHECK(max_diff(out.last_hidden_state, f.all.at("last_hidden_state")) < 1e-5);
    CHECK(max_diff(out.pooler_output, f.all.at("pooler_output")) < 1e-5);
  }
}

TEST_CASE("HF parity: sequence classification, regression and masked-LM heads", "[model][parity]") {
  for (const auto* arch : {"bert", "roberta"}) {
    for (const auto* kind : {"seqcls", "regression", "mlm"}) {
      const std::string name = std::string(arch) + "-" + kind;
      INFO(name);
      auto f = read_io(name);
      torch::NoGradGuard ng;
      torch::Tensor logits;
      if (std::string(kind) == "mlm") {
        auto m = io::from_pretrained<model::MaskedLM<>>(fixtures / name);
        m->eval();
        logits = m->forward(f.ids, f.mask, f.types);
      } else {
        io::load_report report;
        auto m = io::from_pretrained<model::SequenceClassifier<>>(fixtures / name, &report);
        CHECK(report.newly_initialized.empty());
        CHECK(report.unused.empty());
        m->eval();
        logits = m->forward(f.ids, f.mask, f.types);
        CHECK(m->config().is_regression() == (std::string(kind) == "regression"));
      }
      CHECK(max_diff(logits, f.all.at("logits")) < 1e-5);
    }
  }
}

TEST_CASE("save_pretrained writes HF's keys and reloads to identical outputs", "[model][checkpoint]") {
  for (const auto* name : {"bert-seqcls", "roberta-mlm", "bert-base"}) {
    INFO(name);
    const scratch_dir tmp(name);
    const auto& dir = tmp.path;
    auto f = read_io(name);
    torch::NoGradGuard ng;
    auto check = [&](auto original) {
      using Holder = decltype(original);
      original->eval();
      io::save_pretrained(original, dir);
      auto reloaded = io::from_pretrained<Holder>(dir);
      reloaded->eval();
      auto a = original->forward(f.ids, f.mask, f.types);
      auto b = reloaded->forward(f.ids, f.mask, f.types);
      if constexpr (std::is_same_v<decltype(a), model::EncoderOutput>)
        CHECK(max_diff(a.last_hidden_state, b.last_hidden_state) == 0);
      else
        CHECK(max_diff(a, b) == 0);
    };
    const std::string n = name;
    if (n == "bert-seqcls") check(io::from_pretrained<model::SequenceClassifier<>>(fixtures / name));
    if (n == "roberta-mlm") check(io::from_pretrained<model::MaskedLM<>>(fixtures / name));
    if (n == "bert-base") check(io::from_pretrained<model::EncoderModel<>>(fixtures / name));
    // Every key HF wrote (less tied or buffer tensors) is in ours, and nothing else.
    std::set<std::string> ours, theirs;
    for (auto& [k, t] : io::load_safetensors(dir / "model.safetensors").tensors) ours.insert(k);
    for (auto& [k, t] : io::load_safetensors(fixtures / name / "model.safetensors").tensors)
      if (!io::detail::is_ignored_key(k)) theirs.insert(k);
    CHECK(ours == theirs);
    auto config = nlohmann::json::parse(std::ifstream(dir / "config.json"));
    auto hf = nlohmann::json::parse(std::ifstream(fixtures / name / "config.json"));
    CHECK(config["architectures"] == hf["architectures"]);
  }
}

TEST_CASE("a base checkpoint loads into a task model, whose head starts fresh", "[model][checkpoint]") {
  io::load_report r;
  auto m = io::from_pretrained<model::SequenceClassifier<>>(fixtures / "bert-base", &r);
  CHECK(r.newly_initialized == std::vector<std::string>{"classifier.weight", "classifier.bias"});
  CHECK(r.unused.empty());
  // ...and a task checkpoint into a base model, whose head tensors are reported unused.
  auto base = io::from_pretrained<model::EncoderModel<>>(fixtures / "roberta-mlm", &r);
  CHECK(!r.unused.empty());
  CHECK(r.newly_initialized == std::vector<std::string>{"pooler.dense.weight", "pooler.dense.bias"});
  auto f = read_io("roberta-base");
  torch::NoGradGuard ng;
  base->eval();
  CHECK(base->forward(f.ids, f.mask).last_hidden_state.size(2) == 32);
}

TEST_CASE("checkpoint errors name the file and the tensor", "[model][checkpoint][errors]") {
  const scratch_dir tmp("bad-ckpt");
  const auto& dir = tmp.path;
  fs::copy(fixtures / "bert-base", dir / "m");
  auto weights = io::load_safetensors(dir / "m" / "model.safetensors");
  auto rewrite = [&](auto&& edit) {
    std::vector<std::pair<std::string, torch::Tensor>> t = weights.tensors;
    edit(t);
    io::save_safetensors(dir / "m" / "model.safetensors", t);
  };
  SECTION("a missing backbone tensor") {
    rewrite([](auto& t) {
      std::erase_if(t, [](auto& kv) { return kv.first == "encoder.layer.1.attention.self.key.weight"; });
    });
    REQUIRE_THROWS_WITH(io::from_pretrained<model::EncoderModel<>>(dir / "m"),
                        Catch::Contains("model.safetensors") &&
                            Catch::Contains("missing tensor 'encoder.layer.1.attention.self.key.weight'"));
  }
  SECTION("a shape that disagrees with config.json") {
    rewrite([](auto& t) {
      for (auto& kv : t)
        if (kv.first == "encoder.layer.0.intermediate.dense.weight") kv.second = torch::zeros({36, 32});
    });
    REQUIRE_THROWS_WITH(io::from_pretrained<model::EncoderModel<>>(dir / "m"),
                        Catch::Contains("'encoder.layer.0.intermediate.dense.weight' has shape [36, 32]"));
  }
  SECTION("a config field of the wrong type or value") {
    auto j = nlohmann::json::parse(std::ifstream(dir / "m" / "config.json"));
    j["num_attention_heads"] = 5;
    std::ofstream(dir / "m" / "config.json") << j.dump();
    REQUIRE_THROWS_WITH(io::from_pretrained<model::EncoderModel<>>(dir / "m"),
                        Catch::Contains("config.json") && Catch::Contains("'hidden_size'") &&
                            Catch::Contains("multiple of num_attention_heads"));
    j["num_attention_heads"] = "four";
    std::ofstream(dir / "m" / "config.json") << j.dump();
    REQUIRE_THROWS_WITH(io::from_pretrained<model::EncoderModel<>>(dir / "m"),
                        Catch::Contains("field 'num_attention_heads' has the wrong type"));
    std::ofstream(dir / "m" / "config.json") << "{ not json";
    REQUIRE_THROWS_WITH(io::from_pretrained<model::EncoderModel<>>(dir / "m"),
                        Catch::Contains("config.json: is not valid JSON"));
  }
  SECTION("a checkpoint of the other architecture") {
    REQUIRE_THROWS_WITH(io::load_weights(*model::SequenceClassifier<>(tiny(model::architecture::roberta)),
                                         fixtures / "bert-seqcls" / "model.safetensors"),
                        Catch::Contains("holds a 'bert' checkpoint but the model is 'roberta'"));
  }
  SECTION("no weights file") {
    fs::remove(dir / "m" / "model.safetensors");
    REQUIRE_THROWS_WITH(io::from_pretrained<model::EncoderModel<>>(dir / "m"),
                        Catch::Contains("model.safetensors: not found"));
  }
}

TEST_CASE("bert-base and roberta-base have HF's parameter counts", "[model]") {
  auto count = [](auto& m) {
    std::int64_t n = 0;
    for (auto& p : m->parameters()) n += p.numel();
    return n;
  };
  model::EncoderModel<> bert(EncoderConfig::bert_base());
  CHECK(count(bert) == 109'482'240);
  model::EncoderModel<> roberta(EncoderConfig::roberta_base());
  CHECK(count(roberta) == 124'645'632);
}

TEST_CASE("padding changes no output of the real tokens", "[model]") {
  for (auto arch : {model::architecture::bert, model::architecture::roberta}) {
    torch::manual_seed(3);
    auto c = tiny(arch);
    model::EncoderModel<> m(c);
    m->eval();
    torch::NoGradGuard ng;
    auto ids = torch::randint(3, c.vocab_size, {2, 7}, torch::kLong);
    auto short_out = m->forward(ids).last_hidden_state;
    auto padded = torch::cat({ids, torch::full({2, 4}, c.pad_token_id, torch::kLong)}, 1);
    auto mask = torch::cat({torch::ones({2, 7}, torch::kLong), torch::zeros({2, 4}, torch::kLong)}, 1);
    auto long_out = m->forward(padded, mask).last_hidden_state.slice(1, 0, 7);
    CHECK(max_diff(short_out, long_out) < 1e-5);
  }
}

TEST_CASE("fused and math attention agree, masks included", "[model][attention]") {
  torch::manual_seed(0);
  auto q = torch::randn({2, 3, 5, 8}), k = torch::randn({2, 3, 6, 8}), v = torch::randn({2, 3, 6, 8});
  auto mask = model::additive_mask(torch::tensor({{1, 1, 1, 1, 0, 0}, {1, 1, 1, 1, 1, 1}}), torch::kFloat);
  auto a = model::scaled_dot_product_attention(q, k, v, mask, 0.0, false);
  auto b = model::scaled_dot_product_attention_math(q, k, v, mask, 0.0, false);
  CHECK(max_diff(a, b) < 1e-5);
  // A masked key has no influence.
  auto v2 = v.clone();
  v2.index_put_({0, torch::indexing::Slice(), 4}, 100.0);
  CHECK(max_diff(model::scaled_dot_product_attention(q, k, v2, mask, 0.0, false)[0], a[0]) < 1e-5);
}

TEST_CASE("bad inputs get clear errors", "[model][errors]") {
  auto c = tiny();
  model::EncoderModel<> m(c);
  REQUIRE_THROWS_WITH(m->forward(torch::tensor({{1, 2, 60}})), Catch::Contains("outside [0, vocab_size=60)"));
  REQUIRE_THROWS_WITH(m->forward(torch::ones({1, 41}, torch::kLong)),
                      Catch::Contains("max_position_embeddings is 40"));
  REQUIRE_THROWS_WITH(m->forward(torch::ones({3}, torch::kLong)), Catch::Contains("[batch, seq]"));
  REQUIRE_THROWS_WITH(m->forward(torch::ones({1, 3}, torch::kLong), {}, torch::full({1, 3}, 2, torch::kLong)),
                      Catch::Contains("type_vocab_size=2"));
  auto bad = c;
  bad.hidden_act = "mish";
  REQUIRE_THROWS_WITH(model::EncoderModel<>(bad), Catch::Contains("'hidden_act'"));
}

TEST_CASE("config.json fields must have their type, and numbers fit", "[model][errors]") {
  // Found by fuzzing: 1e300 in an integer field was cast to int64 (undefined behaviour).
  using nlohmann::json;
  CHECK_THROWS_WITH(EncoderConfig::from_json(json::parse(R"({"vocab_size": 1e300})")),
                    Catch::Contains("field 'vocab_size' has the wrong type"));
  CHECK_THROWS_WITH(EncoderConfig::from_json(json::parse(R"({"num_hidden_layers": 2.5})")),
                    Catch::Contains("field 'num_hidden_layers'"));
  CHECK_THROWS_WITH(EncoderConfig::from_json(json::parse(R"({"pad_token_id": 18446744073709551615})")),
                    Catch::Contains("field 'pad_token_id'"));
  CHECK(EncoderConfig::from_json(json::parse(R"({"layer_norm_eps": 1, "hidden_dropout_prob": 0})")).layer_norm_eps == 1.0);
  // Found by fuzzing: a model_type that is not a string escaped as nlohmann's type_error.
  CHECK_THROWS_AS(EncoderConfig::from_json(json::parse(R"({"model_type": 5})")), autopeft::error);
  CHECK_THROWS_WITH(EncoderConfig::from_json(json::parse(R"({"position_embedding_type": []})")),
                    Catch::Contains("field 'position_embedding_type'"));
}

TEST_CASE("sites: every linear and LayerNorm site resolves to its HF-named module", "[model][sites]") {
  model::EncoderModel<> m(tiny());
  auto named = m->named_modules();
  auto& layer = *m->layers[1];
  for (auto s : model::linear_sites) {
    const auto name = "encoder.layer.1." + std::string(s == model::site::query || s == model::site::key ||
                                                                 s == model::site::value
                                                             ? "attention.self."
                                                             : "") +
                      std::string(model::to_string(s));
    INFO(name);
    REQUIRE(named.contains(name));
    CHECK(named[name].get() == layer.linear(s).ptr().get());
  }
  CHECK(named["encoder.layer.1.output.LayerNorm"].get() ==
        layer.layer_norm(model::site::output_layer_norm).ptr().get());
  CHECK(model::parse_site("attention.output.dense") == model::site::attention_output);
  CHECK_THROWS_WITH(layer.linear(model::site::prefix), Catch::Contains("not a linear site"));
}

TEST_CASE("the classifier learns a toy task", "[model][train]") {
  torch::manual_seed(1);
  auto c = tiny();
  c.hidden_dropout_prob = c.attention_probs_dropout_prob = 0;
  model::SequenceClassifier<> m(c);
  // Label: does token 5 occur in the sequence?
  auto ids = torch::randint(6, c.vocab_size, {32, 6}, torch::kLong);
  auto labels = torch::randint(0, 2, {32}, torch::kLong);
  ids.index_put_({labels.to(torch::kBool), 2}, 5);
  torch::optim::AdamW opt(m->parameters(), torch::optim::AdamWOptions(3e-3));
  double first = 0, last = 0;
  for (int step = 0; step < 60; ++step) {
    auto loss = m->loss(m->forward(ids), labels);
    opt.zero_grad();
    loss.backward();
    opt.step();
    (step == 0 ? first : last) = loss.item<double>();
  }
  CHECK(last < 0.25 * first);
}

TEST_CASE("CUDA: fp32 matches CPU, bf16 autocast runs close", "[model][cuda]") {
  if (!torch::cuda::is_available()) {
    WARN("no CUDA device: CUDA checks skipped");
    return;
  }
  auto f = read_io("bert-seqcls");
  auto m = io::from_pretrained<model::SequenceClassifier<>>(fixtures / "bert-seqcls");
  m->eval();
  torch::NoGradGuard ng;
  auto want = f.all.at("logits");
  m->to(torch::kCUDA);
  auto ids = f.ids.cuda(), mask = f.mask.cuda(), types = f.types.cuda();
  CHECK(max_diff(m->forward(ids, mask, types).cpu(), want) < 1e-4);
  train::autocast_guard bf16;
  auto low = m->forward(ids, mask, types);
  CHECK(low.scalar_type() == torch::kBFloat16);
  CHECK(max_diff(low.to(torch::kFloat).cpu(), want) < 5e-2);
}

namespace {

// A model moved to double, then given new PEFT modules: they must follow the backbone's dtype,
// while integer buffers (intrinsic SAID's permutation Π) stay integers and the backbone's
// tensors are neither copied nor moved.
template <class Plan>
void check_reset_peft_in_double(const Plan& first, const Plan& second) {
  torch::manual_seed(2);
  const auto c = tiny();
  model::EncoderModel<Plan> m(c, first);
  m->to(torch::kDouble);
  const auto* query = m->layers[0]->query->weight.template data_ptr<double>();
  m->reset_peft(second);
  CHECK(m->layers[0]->query->weight.template data_ptr<double>() == query);
  std::int64_t peft_numel = 0;
  for (const auto& p : m->named_parameters()) {
    INFO(p.key());
    CHECK(p.value().scalar_type() == torch::kDouble);
    if (peft::is_peft_parameter(p.key())) peft_numel += p.value().numel();
  }
  CHECK(peft_numel > 0);
  for (const auto& b : m->named_buffers()) {
    INFO(b.key());
    if (b.value().is_floating_point()) CHECK(b.value().scalar_type() == torch::kDouble);
    else CHECK(b.value().scalar_type() == torch::kLong);
  }
  m->eval();
  torch::NoGradGuard ng;
  const auto out = m->forward(torch::randint(1, c.vocab_size, {2, 5}, torch::kLong)).last_hidden_state;
  CHECK(out.scalar_type() == torch::kDouble);
  CHECK(torch::isfinite(out).all().template item<bool>());
}

}  // namespace

TEST_CASE("reset_peft builds PEFT modules in the backbone's dtype and leaves integer buffers and the backbone alone", "[model][peft]") {
  using adapters = peft::plan<peft::lora, peft::parallel_adapter>;
  check_reset_peft_in_double(adapters{peft::lora{}.r(2), peft::parallel_adapter{}.bottleneck_size(2)},
                             adapters{peft::lora{}.r(3).target_modules({"key"}), peft::parallel_adapter{}.bottleneck_size(4)});
  using said = peft::plan<peft::intrinsic_said>;
  check_reset_peft_in_double(said{peft::intrinsic_said{}.intrinsic_dim(8)}, said{peft::intrinsic_said{}.intrinsic_dim(12)});
  // The integer buffers are there to be kept: Π is an index.
  model::EncoderModel<said> m(tiny(), said{peft::intrinsic_said{}.intrinsic_dim(8)});
  const auto buffers = m->named_buffers();
  CHECK(std::any_of(buffers.begin(), buffers.end(), [](const auto& b) { return b.value().scalar_type() == torch::kLong; }));
}

TEST_CASE("no attention mask equals an all-ones mask, soft prompts included", "[model][attention]") {
  // The trainer gives no mask to a batch without padding (so LibTorch 2.x can take flash
  // attention): that must be the very model function an all-ones mask gives.
  auto check = [](auto& m, const EncoderConfig& c) {
    m->eval();
    torch::NoGradGuard ng;
    auto ids = torch::randint(3, c.vocab_size, {3, 6}, torch::kLong);
    auto without = m->forward(ids);
    auto with = m->forward(ids, torch::ones({3, 6}, torch::kLong));
    CHECK(max_diff(without.last_hidden_state, with.last_hidden_state) < 1e-6);
    CHECK(torch::equal(without.attention_mask, with.attention_mask));
  };
  for (auto arch : {model::architecture::bert, model::architecture::roberta}) {
    torch::manual_seed(5);
    const auto c = tiny(arch);
    model::EncoderModel<> plain(c);
    check(plain, c);
    using prefix = peft::plan<peft::prefix_tuning>;
    model::EncoderModel<prefix> prefixed(c, prefix{peft::prefix_tuning{}.num_virtual_tokens(4).prefix_projection(true).encoder_hidden_size(16)});
    check(prefixed, c);
  }
}

TEST_CASE("the prefix MLP is made in the backbone's dtype with torch::nn::Linear's initialisation", "[model][peft]") {
  // Made where the backbone is (no CPU initialisation then copy): the same draws as Linear's.
  torch::manual_seed(11);
  torch::nn::Linear reference(7, 5);
  torch::manual_seed(11);
  peft::detail::placed_linear placed(7, 5, torch::TensorOptions());
  CHECK(max_diff(placed.weight, reference->weight) < 1e-7);
  CHECK(max_diff(placed.bias, reference->bias) < 1e-7);
  const auto x = torch::randn({2, 3, 7});
  CHECK(max_diff(placed.forward(x), reference->forward(x)) < 1e-6);
  // In a float64 backbone the MLP is float64 from the start; its keys are HF PEFT's.
  using prefix = peft::plan<peft::prefix_tuning>;
  const auto with_mlp = prefix{peft::prefix_tuning{}.num_virtual_tokens(3).prefix_projection(true).encoder_hidden_size(10)};
  check_reset_peft_in_double(with_mlp, with_mlp);
  model::EncoderModel<prefix> m(tiny(), with_mlp);
  m->to(torch::kDouble);
  m->reset_peft(with_mlp);
  const auto params = m->named_parameters();
  for (const auto* key : {"embeddings.peft.prefix_tuning.transform.0.weight", "embeddings.peft.prefix_tuning.transform.2.bias"}) {
    INFO(key);
    const auto* t = params.find(key);
    REQUIRE(t != nullptr);
    CHECK(t->scalar_type() == torch::kDouble);
  }
  const auto bound = 1.0 / std::sqrt(10.0);
  CHECK(params["embeddings.peft.prefix_tuning.transform.2.weight"].abs().max().item<double>() <= bound);
}
