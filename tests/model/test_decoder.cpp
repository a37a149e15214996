#include <autopeft/io/decoder_checkpoint.hpp>
#include <autopeft/model.hpp>
#include <autopeft/peft/adapted_weights.hpp>
#include <autopeft/peft/ia3.hpp>
#include <autopeft/peft/inject.hpp>
#include <autopeft/peft/loha.hpp>
#include <autopeft/peft/lokr.hpp>
#include <autopeft/peft/lora.hpp>
#include <autopeft/peft/vera.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "../support/scratch_dir.hpp"

#include <cmath>
#include <fstream>
#include <map>
#include <numbers>
#include <set>
#include <string>

using namespace autopeft;
using Catch::Matchers::Contains;
using model::DecoderConfig;

namespace {

DecoderConfig tiny(model::decoder_family f = model::decoder_family::llama) {
  DecoderConfig c;
  c.model_type = f;
  c.vocab_size = 50;
  c.hidden_size = 32;
  c.intermediate_size = 48;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;
  c.max_position_embeddings = 64;
  c.pad_token_id = 0;
  return c;
}

// Random weights of a visible size (LibTorch's default init is small for RMSNorm-free paths).
template <class M>
void randomise(M& m, std::uint64_t seed) {
  torch::manual_seed(static_cast<std::int64_t>(seed));
  torch::NoGradGuard ng;
  for (auto& p : m->parameters()) p.copy_(torch::randn_like(p) * 0.3);
}

double max_diff(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<double>(); }

}  // namespace

TEST_CASE("DecoderConfig reads HF's Llama, Mistral and Qwen2 configs and refuses what it cannot run", "[model][decoder]") {
  {
    model::DecoderConfig c;
    c.hidden_size = 64, c.num_attention_heads = 4, c.num_key_value_heads = 2;
    c.validate();
    CHECK(c.dim_per_head() == 16);
  }
  // Llama 3.2 1B's config, shrunk.
  const auto llama = nlohmann::json::parse(R"({
    "architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 128, "hidden_size": 64,
    "intermediate_size": 96, "num_hidden_layers": 2, "num_attention_heads": 8, "num_key_value_heads": 2,
    "head_dim": 8, "hidden_act": "silu", "max_position_embeddings": 131072, "rms_norm_eps": 1e-5,
    "rope_theta": 500000.0, "tie_word_embeddings": true, "attention_bias": false, "mlp_bias": false,
    "bos_token_id": 1, "eos_token_id": 2, "pad_token_id": null,
    "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                     "original_max_position_embeddings": 8192, "rope_type": "llama3"}})");
  const auto c = DecoderConfig::from_json(llama, "config.json");
  CHECK(c.model_type == model::decoder_family::llama);
  CHECK(c.num_key_value_heads == 2);
  CHECK(c.dim_per_head() == 8);
  CHECK(c.rope_theta == 500000.0);
  CHECK(c.rope_scaling.rope_type == "llama3");
  CHECK(c.rope_scaling.factor == 32.0);
  CHECK(c.tie_word_embeddings);
  CHECK(c.pad_token_id == -1);
  CHECK_FALSE(c.qkv_bias());
  // Round trip through to_json.
  const auto again = DecoderConfig::from_json(c.to_json(), "round trip");
  CHECK(again.to_json() == c.to_json());
  CHECK(again.rope_scaling.original_max_position_embeddings == 8192);

  // Qwen2: biases on q, k, v and not o; key/value heads default to the heads.
  const auto qwen = DecoderConfig::from_json(nlohmann::json::parse(R"({"model_type": "qwen2", "vocab_size": 64,
    "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1, "num_attention_heads": 4,
    "sliding_window": 4096, "use_sliding_window": false, "max_position_embeddings": 32768})"));
  CHECK(qwen.num_key_value_heads == 4);
  CHECK(qwen.qkv_bias());
  CHECK_FALSE(qwen.o_bias());

  auto bad = [&](nlohmann::json j) { return DecoderConfig::from_json(j, "cfg.json"); };
  auto with = [&](const char* field, nlohmann::json v) {
    auto j = llama;
    j[field] = v;
    return j;
  };
  CHECK_THROWS_WITH(bad(with("model_type", "gpt2")), Contains("cfg.json") && Contains("'model_type'") && Contains("llama"));
  CHECK_THROWS_WITH(bad(with("num_key_value_heads", 3)), Contains("'num_key_value_heads'") && Contains("must divide"));
  CHECK_THROWS_WITH(bad(with("hidden_act", "gelu")), Contains("'hidden_act'") && Contains("SwiGLU"));
  CHECK_THROWS_WITH(bad(with("rope_scaling", {{"rope_type", "yarn"}, {"factor", 4.0}})), Contains("'rope_scaling'") && Contains("yarn"));
  CHECK_THROWS_WITH(bad(with("hidden_size", 64.5)), Contains("'hidden_size'") && Contains("wrong type"));
  auto mistral = with("model_type", "mistral");
  mistral["sliding_window"] = 4096;
  CHECK_THROWS_WITH(bad(mistral), Contains("'sliding_window'") && Contains("not supported"));
  mistral["sliding_window"] = nullptr;
  CHECK(bad(mistral).model_type == model::decoder_family::mistral);
}

TEST_CASE("Rotary embeddings: norms kept, scores depend on relative position only, llama3 scaling per band", "[model][decoder]") {
  auto c = tiny();
  c.num_attention_heads = 2, c.num_key_value_heads = 2;  // head_dim 16
  const auto inv = model::rope_inverse_frequencies(c);
  REQUIRE(inv.size(0) == 8);
  const auto q = torch::randn({1, 1, 1, 16}), k = torch::randn({1, 1, 1, 16});
  auto turned = [&](const torch::Tensor& x, std::int64_t pos) {
    const auto [cos, sin] = model::rope_cos_sin(inv, torch::full({1, 1}, pos, torch::kLong));
    return model::apply_rotary(x, cos, sin);
  };
  CHECK(turned(q, 37).norm().item<double>() == Approx(q.norm().item<double>()).epsilon(1e-5));
  const double score = (turned(q, 9) * turned(k, 4)).sum().item<double>();
  CHECK((turned(q, 30) * turned(k, 25)).sum().item<double>() == Approx(score).epsilon(1e-4));
  CHECK((turned(q, 0) * turned(k, 0)).sum().item<double>() == Approx((q * k).sum().item<double>()).epsilon(1e-5));

  // Linear scaling divides every frequency by the factor.
  auto lin = c;
  lin.rope_scaling = {.rope_type = "linear", .factor = 4.0};
  CHECK(max_diff(model::rope_inverse_frequencies(lin), inv / 4.0) < 1e-9);
  // llama3: wavelengths below original / high_freq_factor kept, above original / low_freq_factor
  // divided by the factor, a blend in between. theta 10000, d 16: wavelengths 2 pi 10000^(i/8).
  auto l3 = c;
  l3.rope_scaling = {.rope_type = "llama3", .factor = 8.0, .low_freq_factor = 1.0, .high_freq_factor = 4.0,
                     .original_max_position_embeddings = 256};
  const auto scaled = model::rope_inverse_frequencies(l3);
  int kept = 0, divided = 0, blended = 0;
  for (std::int64_t i = 0; i < 8; ++i) {
    const double f = inv[i].item<double>(), g = scaled[i].item<double>(), wavelen = 2 * std::numbers::pi / f;
    if (wavelen < 256.0 / 4) {
      CHECK(g == Approx(f));
      ++kept;
    } else if (wavelen > 256.0) {
      CHECK(g == Approx(f / 8));
      ++divided;
    } else {
      CHECK(g < f);
      CHECK(g > f / 8);
      ++blended;
    }
  }
  CHECK(kept > 0);
  CHECK(divided > 0);
  CHECK(blended > 0);
}

TEST_CASE("RMSNorm: unit root mean square times the weight, blind to the input's scale", "[model][decoder]") {
  model::RMSNorm norm(8, 1e-6);
  const auto x = torch::randn({3, 8}) * 5;
  const auto y = norm(x);
  CHECK(max_diff(y.pow(2).mean(-1), torch::ones({3})) < 1e-4);
  CHECK(max_diff(norm(x * 7), y) < 1e-5);
  torch::NoGradGuard ng;
  norm->weight.fill_(2);
  CHECK(max_diff(norm(x), 2 * y) < 1e-5);
}

TEST_CASE("CausalLM: HF's parameter names, causal, padding-blind, grouped-query attention as repeated heads", "[model][decoder]") {
  const auto c = tiny();
  model::CausalLM lm(c);
  randomise(lm, 1);
  lm->eval();
  std::set<std::string> names;
  for (const auto& p : lm->named_parameters()) names.insert(p.key());
  for (const char* n : {"model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight", "model.layers.1.self_attn.k_proj.weight",
                        "model.layers.0.self_attn.v_proj.weight", "model.layers.0.self_attn.o_proj.weight",
                        "model.layers.0.mlp.gate_proj.weight", "model.layers.0.mlp.up_proj.weight", "model.layers.0.mlp.down_proj.weight",
                        "model.layers.0.input_layernorm.weight", "model.layers.0.post_attention_layernorm.weight", "model.norm.weight",
                        "lm_head.weight"})
    CHECK(names.count(n) == 1);
  CHECK(names.size() == 2 + 9 * 2 + 1);
  CHECK(lm->named_parameters()["model.layers.0.self_attn.k_proj.weight"].sizes() == torch::IntArrayRef({2 * 8, 32}));

  torch::NoGradGuard ng;
  const auto ids = torch::randint(1, c.vocab_size, {2, 10});
  const auto logits = lm(ids);
  CHECK(logits.sizes() == torch::IntArrayRef({2, 10, c.vocab_size}));
  // Causal: changing the tokens after position 5 leaves positions 0..5 as they were.
  auto changed = ids.clone();
  changed.narrow(1, 6, 4).random_(1, c.vocab_size);
  CHECK(max_diff(lm(changed).narrow(1, 0, 6), logits.narrow(1, 0, 6)) < 1e-5);
  CHECK(max_diff(lm(changed).narrow(1, 6, 4), logits.narrow(1, 6, 4)) > 1e-3);

  // Right padding: the real positions are what the unpadded sequence gives.
  const auto one = ids.narrow(0, 0, 1).narrow(1, 0, 7);
  const auto alone = lm(one);
  const auto right = torch::cat({one, torch::zeros({1, 3}, torch::kLong)}, 1);
  const auto right_mask = torch::cat({torch::ones({1, 7}, torch::kLong), torch::zeros({1, 3}, torch::kLong)}, 1);
  CHECK(max_diff(lm(right, right_mask).narrow(1, 0, 7), alone) < 1e-5);
  // Left padding, positions counted from the first real token (as generate counts them).
  const auto left = torch::cat({torch::zeros({1, 3}, torch::kLong), one}, 1);
  const auto left_mask = torch::cat({torch::zeros({1, 3}, torch::kLong), torch::ones({1, 7}, torch::kLong)}, 1);
  const auto positions = (left_mask.cumsum(1) - 1).clamp_min(0);
  const auto left_logits = lm(left, left_mask, nullptr, positions);
  CHECK(max_diff(left_logits.narrow(1, 3, 7), alone) < 1e-5);
  CHECK_FALSE(torch::isnan(left_logits).any().item<bool>());  // the padding rows see no key, and stay finite

  // Grouped-query attention is multi-head attention with each key/value head repeated.
  auto mha_config = c;
  mha_config.num_key_value_heads = c.num_attention_heads;
  model::CausalLM mha(mha_config);
  auto mine = lm->named_parameters();
  for (auto& p : mha->named_parameters()) {
    const auto& src = mine[p.key()];
    if (p.key().find("k_proj") != std::string::npos || p.key().find("v_proj") != std::string::npos) {
      const auto d = c.dim_per_head(), group = c.num_attention_heads / c.num_key_value_heads;
      p.value().copy_(src.view({c.num_key_value_heads, d, -1}).repeat_interleave(group, 0).reshape_as(p.value()));
    } else {
      p.value().copy_(src);
    }
  }
  mha->eval();
  CHECK(max_diff(mha(ids), logits) < 1e-5);
}

TEST_CASE("CausalLM: the KV cache gives the full forward's logits; greedy generation is the argmax loop", "[model][decoder]") {
  const auto c = tiny();
  {
    model::DecoderConfig c;
    c.vocab_size = 100, c.hidden_size = 32, c.intermediate_size = 64, c.num_hidden_layers = 2;
    c.num_attention_heads = 4, c.num_key_value_heads = 2;
    model::CausalLM lm(c);
    auto ids = torch::randint(100, {2, 8});
    auto loss = model::causal_lm_loss(lm(ids), ids);
    auto out = lm->generate(ids, {}, {.max_new_tokens = 16});
    CHECK(out.sizes() == torch::IntArrayRef({2, 24}));
    CHECK(std::isfinite(loss.item<double>()));
  }
  model::CausalLM lm(c);
  randomise(lm, 2);
  lm->eval();
  torch::NoGradGuard ng;
  const auto ids = torch::randint(1, c.vocab_size, {2, 9});
  const auto full = lm(ids);
  model::KVCache cache(c.num_hidden_layers);
  const auto first = lm(ids.narrow(1, 0, 5), torch::Tensor(), &cache);
  CHECK(cache.length() == 5);
  CHECK(max_diff(first, full.narrow(1, 0, 5)) < 1e-5);
  for (std::int64_t t = 5; t < 9; ++t) CHECK(max_diff(lm(ids.narrow(1, t, 1), torch::Tensor(), &cache), full.narrow(1, t, 1)) < 1e-4);
  CHECK(cache.length() == 9);

  // Greedy generation with the cache equals feeding the whole sequence again at every step.
  auto naive = ids;
  for (int step = 0; step < 6; ++step) naive = torch::cat({naive, lm(naive).select(1, naive.size(1) - 1).argmax(-1, true)}, 1);
  CHECK(torch::equal(lm->generate(ids, {}, {.max_new_tokens = 6}), naive));

  // A left-padded batch generates for each prompt what the prompt alone generates.
  const auto a = ids.narrow(0, 0, 1).narrow(1, 0, 4), b = ids.narrow(0, 1, 1);
  const auto batch = torch::cat({torch::cat({torch::zeros({1, 5}, torch::kLong), a}, 1), b}, 0);
  const auto mask = batch.ne(0).to(torch::kLong);
  const auto together = lm->generate(batch, mask, {.max_new_tokens = 5});
  CHECK(torch::equal(together.narrow(0, 0, 1).narrow(1, 9, 5), lm->generate(a, {}, {.max_new_tokens = 5}).narrow(1, 4, 5)));
  CHECK(torch::equal(together.narrow(0, 1, 1).narrow(1, 9, 5), lm->generate(b, {}, {.max_new_tokens = 5}).narrow(1, 9, 5)));

  // After eos a sequence is padded; sampling with top_k 1 is greedy.
  const auto greedy = lm->generate(ids, {}, {.max_new_tokens = 4});
  const auto eos = greedy[0][9].item<std::int64_t>();
  const auto stopped = lm->generate(ids, {}, {.max_new_tokens = 4, .eos_token_id = eos, .pad_token_id = 0});
  CHECK(stopped[0][9].item<std::int64_t>() == eos);
  for (std::int64_t t = 10; t < stopped.size(1); ++t) CHECK(stopped[0][t].item<std::int64_t>() == 0);
  CHECK(torch::equal(lm->generate(ids, {}, {.max_new_tokens = 4, .do_sample = true, .top_k = 1}), greedy));
  CHECK_THROWS_WITH(lm->generate(ids, {}, {.max_new_tokens = 2, .do_sample = true, .temperature = 0}), Contains("temperature"));
}

TEST_CASE("causal_lm_loss is the shifted next-token cross-entropy without the -100 labels", "[model][decoder]") {
  const auto logits = torch::randn({2, 5, 7});
  auto labels = torch::randint(7, {2, 5});
  labels[0][2] = -100;
  labels[1][4] = -100;
  double sum = 0;
  int n = 0;
  const auto logp = torch::log_softmax(logits, -1);
  for (int b = 0; b < 2; ++b)
    for (int t = 0; t + 1 < 5; ++t) {
      const auto y = labels[b][t + 1].item<std::int64_t>();
      if (y == -100) continue;
      sum -= logp[b][t][y].item<double>();
      ++n;
    }
  CHECK(model::causal_lm_loss(logits, labels).item<double>() == Approx(sum / n).epsilon(1e-6));
}

TEST_CASE("Decoder variants: tied embeddings read the embedding matrix; Qwen2's biases; the classifier pools the last real token",
          "[model][decoder]") {
  auto tied = tiny();
  tied.tie_word_embeddings = true;
  model::CausalLM lm(tied);
  randomise(lm, 3);
  lm->eval();
  CHECK(lm->named_parameters().find("lm_head.weight") == nullptr);
  torch::NoGradGuard ng;
  const auto ids = torch::randint(1, tied.vocab_size, {1, 6});
  CHECK(max_diff(lm(ids), torch::matmul(lm->model(ids), lm->model->embed_tokens->weight.t())) < 1e-5);

  model::CausalLM qwen(tiny(model::decoder_family::qwen2));
  const auto names = qwen->named_parameters();
  CHECK(names.find("model.layers.0.self_attn.q_proj.bias") != nullptr);
  CHECK(names.find("model.layers.0.self_attn.v_proj.bias") != nullptr);
  CHECK(names.find("model.layers.0.self_attn.o_proj.bias") == nullptr);

  auto cc = tiny();
  cc.num_labels = 3;
  model::DecoderSequenceClassifier clf(cc);
  randomise(clf, 4);
  clf->eval();
  const auto seq = torch::randint(1, cc.vocab_size, {1, 5});
  const auto alone = clf(seq);
  CHECK(alone.sizes() == torch::IntArrayRef({1, 3}));
  const auto right = torch::cat({seq, torch::zeros({1, 2}, torch::kLong)}, 1);
  CHECK(max_diff(clf(right, right.ne(0).to(torch::kLong)), alone) < 1e-5);
  CHECK(model::last_non_pad_token(right, 0).item<std::int64_t>() == 4);
  auto no_pad = cc;
  no_pad.pad_token_id = -1;
  model::DecoderSequenceClassifier unpadded(no_pad);
  CHECK_THROWS_WITH(unpadded(torch::randint(1, cc.vocab_size, {2, 5})), Contains("pad_token_id"));
}

TEST_CASE("LoRA on the decoder's q_proj and v_proj by target_modules: HF's count, the base outputs until it trains",
          "[model][decoder][peft]") {
  const auto c = tiny();
  model::CausalLM lm(c);
  randomise(lm, 5);
  lm->eval();
  const auto ids = torch::randint(1, c.vocab_size, {2, 6});
  torch::Tensor base;
  {
    torch::NoGradGuard ng;
    base = lm(ids);
  }
  const auto injected = peft::inject(*lm, peft::lora{}.r(4).lora_alpha(8).target_modules({"q_proj", "v_proj"}));
  CHECK(injected.modules.size() == 4);
  const auto counts = peft::freeze_except_adapters(*lm);
  // HF PEFT: r * (in + out) per adapted Linear; q_proj 32 -> 32, v_proj 32 -> 16.
  CHECK(counts.trainable == c.num_hidden_layers * (4 * (32 + 32) + 4 * (32 + 16)));
  {
    torch::NoGradGuard ng;
    peft::adapted_weights adapted(*lm);
    CHECK(max_diff(lm(ids), base) < 1e-6);  // B = 0 at initialisation
  }
  std::vector<torch::Tensor> trainable;
  for (auto& p : lm->parameters())
    if (p.requires_grad()) trainable.push_back(p);
  torch::optim::SGD opt(trainable, 0.5);
  {
    peft::adapted_weights adapted(*lm);
    const auto loss = model::causal_lm_loss(lm(ids), ids);
    opt.zero_grad();
    loss.backward();
  }
  opt.step();
  torch::NoGradGuard ng;
  peft::adapted_weights adapted(*lm);
  CHECK(max_diff(lm(ids), base) > 1e-4);
}

TEST_CASE("Decoder checkpoints: save and load in HF's layout, tied or not; a missing or mis-shaped tensor is named",
          "[model][decoder][io]") {
  autopeft::testing::scratch_dir d{"decoder-ckpt"};
  for (const bool tie : {false, true}) {
    auto c = tiny(tie ? model::decoder_family::qwen2 : model::decoder_family::llama);
    c.tie_word_embeddings = tie;
    model::CausalLM lm(c);
    randomise(lm, 6);
    lm->eval();
    const auto dir = d.path / (tie ? "tied" : "untied");
    io::save_decoder(lm, dir);
    io::load_report report;
    auto back = io::decoder_from_pretrained<model::CausalLM>(dir, &report);
    const auto config = nlohmann::json::parse(std::ifstream(dir / "config.json"));
    CHECK(config["architectures"][0] == (tie ? "Qwen2ForCausalLM" : "LlamaForCausalLM"));
    back->eval();
    CHECK(report.unused.empty());
    CHECK(report.newly_initialized.empty());
    CHECK(report.loaded.size() == lm->parameters().size());
    torch::NoGradGuard ng;
    const auto ids = torch::randint(1, c.vocab_size, {2, 5});
    CHECK(max_diff(back(ids), lm(ids)) == 0);
  }
  // A classifier from a causal-LM checkpoint: the backbone loads, the head is new, lm_head unused.
  io::load_report report;
  auto clf = io::decoder_from_pretrained<model::DecoderSequenceClassifier>(d.path / "untied", &report);
  CHECK(report.newly_initialized == std::vector<std::string>{"score.weight"});
  CHECK(report.unused == std::vector<std::string>{"lm_head.weight"});
  // Errors name the file and the tensor.
  auto c = tiny();
  c.num_hidden_layers = 3;
  model::CausalLM deeper(c);
  CHECK_THROWS_WITH(io::load_decoder_weights(*deeper, d.path / "untied" / "model.safetensors"),
                    Contains("model.safetensors") && Contains("missing tensor 'model.layers.2."));
  c = tiny();
  c.intermediate_size = 40;
  model::CausalLM narrower(c);
  CHECK_THROWS_WITH(io::load_decoder_weights(*narrower, d.path / "untied" / "model.safetensors"),
                    Contains("has shape") && Contains("mlp"));
}

TEST_CASE("HF PEFT's decoder defaults (LoRA on all-linear, (IA)3 on k_proj, v_proj, down_proj), DoRA, LoHa, LoKr, VeRA: HF's counts, the base outputs at initialisation",
          "[model][decoder][peft]") {
  const auto c = tiny();
  const auto ids = torch::randint(1, c.vocab_size, {2, 6});
  auto check = [&](const auto& policy, std::int64_t trainable_per_layer, std::size_t modules_per_layer) {
    model::CausalLM lm(c);
    randomise(lm, 7);
    lm->eval();
    torch::Tensor base;
    {
      torch::NoGradGuard ng;
      base = lm(ids);
    }
    const auto injected = peft::inject(*lm, policy);
    CHECK(injected.modules.size() == modules_per_layer * static_cast<std::size_t>(c.num_hidden_layers));
    for (const auto& m : injected.modules) CHECK(m.find("lm_head") == std::string::npos);
    const auto trainable = peft::freeze_except_adapters(*lm).trainable;
    if (trainable_per_layer >= 0) CHECK(trainable == c.num_hidden_layers * trainable_per_layer);
    CHECK(trainable > 0);
    torch::NoGradGuard ng;
    peft::adapted_weights adapted(*lm);
    CHECK(max_diff(lm(ids), base) < 1e-6);
  };
  // LoRA r=2 on the seven projections: r * (in + out) each (hidden 32, kv 16, intermediate 48).
  check(peft::lora{}.r(2).target_modules({"all-linear"}),
        2 * ((32 + 32) + (32 + 16) + (32 + 16) + (32 + 32) + (32 + 48) + (32 + 48) + (48 + 32)), 7);
  // (IA)3: a vector over k_proj's and v_proj's outputs and over down_proj's input (feedforward).
  check(peft::ia3{}.target_modules({"k_proj", "v_proj", "down_proj"}).feedforward_modules({"down_proj"}), 16 + 16 + 48, 3);
  // The other re-parametrisations on q_proj (32 -> 32) and v_proj (32 -> 16), HF's counts:
  // DoRA LoRA's plus a magnitude per output, LoHa two LoRA pairs, VeRA a scale per rank and per
  // output (the shared random pair is frozen), LoKr its Kronecker factors.
  const peft::targets qv{"q_proj", "v_proj"};
  check(peft::lora{}.r(4).use_dora(true).target_modules(qv), 4 * (32 + 32) + 32 + 4 * (32 + 16) + 16, 2);
  check(peft::loha{}.r(2).target_modules(qv), 2 * 2 * (32 + 32) + 2 * 2 * (32 + 16), 2);
  check(peft::vera{}.r(4).target_modules(qv), (4 + 32) + (4 + 16), 2);
  check(peft::lokr{}.r(2).target_modules(qv), -1, 2);
}

TEST_CASE("Decoder checkpoints: sharded with an index as HF writes them, and read in bf16 without fp32", "[model][decoder][io]") {
  autopeft::testing::scratch_dir d{"decoder-shards"};
  const auto c = tiny();
  model::CausalLM lm(c);
  randomise(lm, 8);
  lm->eval();
  const auto dir = d.path / "sharded";
  io::save_decoder(lm, dir, torch::kFloat32, 12000);
  CHECK_FALSE(std::filesystem::exists(dir / "model.safetensors"));
  const auto index = nlohmann::json::parse(std::ifstream(dir / "model.safetensors.index.json"));
  std::set<std::string> files;
  for (const auto& [k, f] : index["weight_map"].items()) files.insert(f.get<std::string>());
  CHECK(files.size() > 2);
  CHECK(index["weight_map"].size() == lm->parameters().size());
  CHECK(index["metadata"]["total_size"] == 4 * [&] {
    std::int64_t n = 0;
    for (const auto& p : lm->parameters()) n += p.numel();
    return n;
  }());
  io::load_report report;
  auto back = io::decoder_from_pretrained<model::CausalLM>(dir, &report);
  back->eval();
  CHECK(report.loaded.size() == lm->parameters().size());
  const auto ids = torch::randint(1, c.vocab_size, {2, 5});
  {
    torch::NoGradGuard ng;
    CHECK(max_diff(back(ids), lm(ids)) == 0);
  }

  // bf16: built and read in bf16; the default dtype is float again afterwards.
  io::save_decoder(lm, d.path / "bf16", torch::kBFloat16);
  auto half = io::decoder_from_pretrained<model::CausalLM>(d.path / "bf16", nullptr, torch::kBFloat16);
  CHECK(torch::get_default_dtype() == caffe2::TypeMeta::Make<float>());
  for (const auto& p : half->parameters()) CHECK(p.scalar_type() == torch::kBFloat16);
  for (const auto& p : half->named_parameters())
    CHECK(torch::equal(p.value(), lm->named_parameters()[p.key()].to(torch::kBFloat16)));

  // A damaged index names itself, the field or the shard.
  const auto bad = d.path / "bad";
  std::filesystem::create_directories(bad);
  std::filesystem::copy_file(dir / "config.json", bad / "config.json");
  auto write_index = [&](const nlohmann::json& j) { std::ofstream(bad / "model.safetensors.index.json") << j.dump(); };
  write_index({{"metadata", nlohmann::json::object()}});
  CHECK_THROWS_WITH(io::decoder_from_pretrained<model::CausalLM>(bad), Contains("model.safetensors.index.json") && Contains("'weight_map'"));
  auto map = index;
  write_index(map);
  CHECK_THROWS_WITH(io::decoder_from_pretrained<model::CausalLM>(bad), Contains("names the shard 'model-00001-of-") && Contains("copy every shard"));
  for (const auto& f : files) std::filesystem::copy_file(dir / f, bad / f);
  map["weight_map"]["model.norm.weight"] = *files.begin() == map["weight_map"]["model.norm.weight"].get<std::string>() ? *files.rbegin() : *files.begin();
  write_index(map);
  CHECK_THROWS_WITH(io::decoder_from_pretrained<model::CausalLM>(bad), Contains("'model.norm.weight'") && Contains("does not hold it"));
  map["weight_map"]["model.norm.weight"] = "../elsewhere.safetensors";
  write_index(map);
  CHECK_THROWS_WITH(io::decoder_from_pretrained<model::CausalLM>(bad), Contains("beside the index"));
}
