// HF PEFT's adapter directories (adapter_config.json + adapter_model.safetensors) <-> our models:
//  - HF's own files (tests/fixtures/peft/{lora,ia3}-<arch>/adapter, written by PeftModel.save_pretrained)
//    load into ours and give HF's logits (state.safetensors' "logits");
//  - what we save has exactly HF's keys and config fields, and loads back exactly;
//  - a config that disagrees with the model's policy is refused, naming the field.
#include "../support/scratch_dir.hpp"
#include "../support/small_encoder.hpp"
#include "uv_policy.hpp"
#include <autopeft/io/hf_checkpoint.hpp>
#include <autopeft/io/safetensors.hpp>
#include <autopeft/model.hpp>
#include <autopeft/peft/active_adapter.hpp>
#include <autopeft/peft/adapted_weights.hpp>
#include <autopeft/peft/adapter_io.hpp>
#include <autopeft/peft/add_adapter.hpp>
#include <autopeft/peft/set_adapter.hpp>
#include <autopeft/peft/add_weighted_adapter.hpp>
#include <autopeft/peft/ia3.hpp>
#include <autopeft/peft/ln_tuning.hpp>
#include <autopeft/peft/serial_adapter.hpp>
#include <autopeft/peft/loha.hpp>
#include <autopeft/peft/lokr.hpp>
#include <autopeft/peft/lora.hpp>
#include <autopeft/peft/lora_adapter.hpp>
#include <autopeft/peft/prefix_tuning.hpp>
#include <autopeft/peft/prompt_tuning.hpp>
#include <autopeft/peft/trainable.hpp>
#include <autopeft/peft/vera.hpp>
#include <autopeft/space/family.hpp>
#include <autopeft/space/ordinal.hpp>

#include <unistd.h>

#include <fstream>
#include <set>

namespace fs = std::filesystem;
using namespace autopeft;

namespace {

const fs::path fixtures = fs::path(AUTOPEFT_FIXTURES_DIR);
constexpr double tolerance = 1e-5;

template <class P>
using classifier = model::SequenceClassifier<peft::plan<P>>;

fs::path adapter_dir(const std::string& method, const std::string& arch) {
  return fixtures / "peft" / (method + "-" + arch) / "adapter";
}

template <class P>
classifier<P> base_with(const std::string& arch, const P& policy) {
  return io::from_pretrained<classifier<P>>(fixtures / "hf" / (arch + "-seqcls"), nullptr, peft::plan<P>{policy});
}

template <class M>
torch::Tensor logits(M& m, const std::string& arch) {
  const auto io = io::load_safetensors(fixtures / "hf" / (arch + "-seqcls") / "io.safetensors");
  torch::Tensor types;
  if (io.contains("token_type_ids")) types = io.at("token_type_ids");
  m->eval();
  torch::NoGradGuard ng;
  return m->forward(io.at("input_ids"), io.at("attention_mask"), types);
}

std::set<std::string> keys_of(const fs::path& file) {
  std::set<std::string> k;
  for (const auto& [name, t] : io::load_safetensors(file).tensors) k.insert(name);
  return k;
}

fs::path scratch(const std::string& name) {
  auto d = fs::temp_directory_path() / ("autopeft-adapter-io-" + std::to_string(::getpid())) / name;
  testing::remove_tree(d);
  return d;
}

/// HF's adapter -> ours: logits equal HF's; ours -> files: HF's keys and config fields; files ->
/// a fresh model: every tensor equal.
template <class P>
void check_method(const std::string& method) {
  for (const std::string arch : {"bert", "roberta"}) {
    INFO(method << "-" << arch);
    const auto dir = adapter_dir(method, arch);
    const auto hf_config = peft::read_adapter_config(dir);
    const auto policy = peft::policy_from_config<P>(hf_config);
    auto m = base_with(arch, policy);
    const torch::Tensor before = logits(m, arch);
    peft::load_adapter(m, dir);
    const torch::Tensor hf_logits = io::load_safetensors(fixtures / "peft" / (method + "-" + arch) / "state.safetensors").at("logits");
    const torch::Tensor got = logits(m, arch);
    // The adapter must move the logits, or parity would hold for a loader that does nothing.
    CHECK((got - before).abs().max().item<double>() > 2 * tolerance);
    CHECK((got - hf_logits).abs().max().item<double>() < tolerance);

    const auto out = scratch(method + "-" + arch);
    peft::save_adapter(m, out, {.base_model_name_or_path = hf_config["base_model_name_or_path"].get<std::string>()});
    CHECK(keys_of(out / "adapter_model.safetensors") == keys_of(dir / "adapter_model.safetensors"));
    const auto ours = peft::read_adapter_config(out);
    std::set<std::string> our_fields, hf_fields;
    for (const auto& [k, v] : ours.items()) our_fields.insert(k);
    for (const auto& [k, v] : hf_config.items()) hf_fields.insert(k);
    CHECK(our_fields == hf_fields);
    for (const auto& [k, v] : hf_config.items()) {
      INFO("field " << k);
      if (v.is_array()) CHECK(std::set<nlohmann::json>(v.begin(), v.end()) ==
                              std::set<nlohmann::json>(ours[k].begin(), ours[k].end()));
      else CHECK(ours[k] == v);
    }

    // Round trip: a fresh model (other PEFT initialisation) takes every tensor back exactly.
    auto fresh = base_with(arch, peft::policy_from_config<P>(ours));
    peft::load_adapter(fresh, out);
    auto a = m->named_parameters(true), b = fresh->named_parameters(true);
    for (const auto& p : a) {
      INFO(p.key());
      CHECK(torch::equal(p.value(), b[p.key()]));
    }
    CHECK(torch::equal(logits(fresh, arch), got));
    testing::remove_tree(out);
  }
}

/// The names of a model whose PEFT tensors come from these policies (the owners of HF's tensor
/// prefixes, and prompt tuning of `prompt_embeddings`).
std::string to_hf_name(const std::string& ours) {
  return peft::to_hf_name<peft::lora, peft::ia3, peft::loha, peft::lokr, peft::vera, peft::ln_tuning,
                          peft::prompt_tuning>(ours);
}
std::string from_hf_name(const std::string& hf, const std::string& arch) {
  return peft::from_hf_name<peft::lora, peft::ia3, peft::loha, peft::lokr, peft::vera, peft::ln_tuning,
                            peft::prompt_tuning>(hf, arch);
}

}  // namespace

TEST_CASE("adapter io: HF names map both ways", "[peft][adapter_io]") {
  const std::vector<std::pair<std::string, std::string>> pairs{
      {"bert.encoder.layer.0.peft.lora.query.lora_A.weight",
       "base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight"},
      {"roberta.encoder.layer.1.peft.lora.attention_output.lora_magnitude_vector",
       "base_model.model.roberta.encoder.layer.1.attention.output.dense.lora_magnitude_vector"},
      {"bert.encoder.layer.1.peft.ia3.output.ia3_l", "base_model.model.bert.encoder.layer.1.output.dense.ia3_l"},
      {"bert.encoder.layer.0.peft.loha.value.hada_w2_b", "base_model.model.bert.encoder.layer.0.attention.self.value.hada_w2_b"},
      {"bert.encoder.layer.0.peft.lokr.intermediate.lokr_w2_a", "base_model.model.bert.encoder.layer.0.intermediate.dense.lokr_w2_a"},
      {"bert.encoder.layer.0.peft.vera.query.vera_lambda_d", "base_model.model.bert.encoder.layer.0.attention.self.query.vera_lambda_d"},
      {"bert.embeddings.peft.vera.vera_A", "base_model.vera_A"},
      {"bert.embeddings.peft.ln_tuning.LayerNorm.bias", "base_model.model.bert.embeddings.LayerNorm.ln_tuning_layers.bias"},
      {"bert.encoder.layer.1.peft.ln_tuning.attention_layer_norm.weight",
       "base_model.model.bert.encoder.layer.1.attention.output.LayerNorm.ln_tuning_layers.weight"},
      {"bert.embeddings.peft.prompt_tuning.embedding.weight", "prompt_embeddings"},
      {"classifier.out_proj.weight", "base_model.model.classifier.out_proj.weight"},
  };
  for (const auto& [ours, hf] : pairs) {
    INFO(ours << " <-> " << hf);
    CHECK(to_hf_name(ours) == hf);
    const auto arch = ours.substr(0, ours.find('.'));
    CHECK(from_hf_name(hf, arch == "classifier" ? "bert" : arch) == ours);
  }
  // HF's in-memory names carry the adapter name.
  CHECK(from_hf_name("base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.default.weight", "bert") ==
        "bert.encoder.layer.0.peft.lora.query.lora_A.weight");
  CHECK(from_hf_name("base_model.model.bert.encoder.layer.1.output.dense.lora_magnitude_vector.default.weight",
                           "bert") == "bert.encoder.layer.1.peft.lora.output.lora_magnitude_vector");
  CHECK(from_hf_name("base_model.model.bert.encoder.layer.0.output.dense.ia3_l.default", "bert") ==
        "bert.encoder.layer.0.peft.ia3.output.ia3_l");
  // Prompt learning's head has no ".model" level.
  CHECK(from_hf_name("base_model.classifier.weight", "bert") == "classifier.weight");
  // PEFT tensors HF has no key for.
  CHECK(to_hf_name("bert.embeddings.peft.prefix_tuning.transform.0.weight").empty());
  CHECK(to_hf_name("bert.encoder.layer.0.peft.serial_adapter.after_ffn.down.weight").empty());
}

TEST_CASE("adapter io: LoRA from HF's files, and back", "[peft][adapter_io]") { check_method<peft::lora>("lora"); }

TEST_CASE("adapter io: (IA)3 from HF's files, and back", "[peft][adapter_io]") { check_method<peft::ia3>("ia3"); }

TEST_CASE("adapter io: DoRA and rsLoRA round trip with HF's keys", "[peft][adapter_io]") {
  auto p = peft::lora{}.r(4).lora_alpha(8).use_dora(true).use_rslora(true).init_lora_weights(false)
               .target_modules({"query", "value", "output.dense"}).layers_to_transform({1});
  auto m = base_with("bert", p);
  const auto out = scratch("dora");
  peft::save_adapter(m, out);
  const auto keys = keys_of(out / "adapter_model.safetensors");
  // HF's saved DoRA key drops the ".weight" of its in-memory "lora_magnitude_vector.default.weight".
  CHECK(keys.contains("base_model.model.bert.encoder.layer.1.output.dense.lora_magnitude_vector"));
  // "output.dense" selects attention.output.dense too (HF's suffix rule): 4 sites of 3 tensors, and the head.
  CHECK(keys.contains("base_model.model.bert.encoder.layer.1.attention.output.dense.lora_magnitude_vector"));
  CHECK(keys.size() == 4 * 3 + 2);
  const auto cfg = peft::read_adapter_config(out);
  CHECK(cfg["use_dora"] == true);
  CHECK(cfg["use_rslora"] == true);
  CHECK(cfg["layers_to_transform"] == nlohmann::json{1});
  auto fresh = base_with("bert", peft::lora_from_config(cfg));
  peft::load_adapter(fresh, out);
  CHECK(torch::equal(logits(fresh, "bert"), logits(m, "bert")));
  testing::remove_tree(out);
}

TEST_CASE("adapter io: init_lora_weights round-trips as HF writes it", "[peft][adapter_io][lora_init]") {
  const auto c = model::EncoderConfig::bert_base();
  const std::vector<std::pair<peft::lora_init, nlohmann::json>> cases{
      {true, true}, {false, false}, {"gaussian", "gaussian"}, {"pissa", "pissa"}, {"olora", "olora"}};
  for (const auto& [init, written] : cases) {
    INFO(written.dump());
    auto j = peft::lora{}.init_lora_weights(init).to_adapter_config(c);
    CHECK(j["init_lora_weights"] == written);
    j["peft_type"] = "LORA";
    CHECK(peft::lora_from_config(j).init_lora_weights() == init);
  }
  auto j = peft::lora{}.to_adapter_config(c);
  j["peft_type"] = "LORA";
  j["init_lora_weights"] = "corda";
  CHECK_THROWS_WITH(peft::lora_from_config(j),
                    Catch::Contains("adapter_config.json") && Catch::Contains("init_lora_weights") && Catch::Contains("corda"));
  j["init_lora_weights"] = "pissa_niter_4";
  CHECK_THROWS_WITH(peft::lora_from_config(j), Catch::Contains("randomised SVD") && Catch::Contains("\"pissa\""));
  j["init_lora_weights"] = 3;
  CHECK_THROWS_WITH(peft::lora_from_config(j), Catch::Contains("must be a bool or a name"));
}

TEST_CASE("adapter io: a PiSSA or OLoRA adapter reloads onto the original base model with equal outputs", "[peft][adapter_io][lora_init]") {
  for (const std::string init : {"pissa", "olora"}) {
    INFO(init);
    const auto p = peft::lora{}.r(4).lora_alpha(8).init_lora_weights(init).target_modules({"query", "value"});
    auto trained = base_with("bert", p);
    {
      torch::NoGradGuard ng;
      for (auto& t : trained->named_parameters())
        if (t.key().find(".peft.") != std::string::npos) t.value().add_(0.05 * torch::randn_like(t.value()));
    }
    const auto out = scratch("init_" + init);
    peft::save_adapter(trained, out);
    const auto cfg = peft::read_adapter_config(out);
    CHECK(cfg["init_lora_weights"] == init);
    // A fresh model from the original base with the saved config holds the same residual, then HF's tensors.
    auto fresh = base_with("bert", peft::lora_from_config(cfg));
    peft::load_adapter(fresh, out);
    CHECK((logits(fresh, "bert") - logits(trained, "bert")).abs().max().item<double>() < tolerance);
    // A model built with the default initialisation is refused: its base weight is not the residual.
    auto plain = base_with("bert", peft::lora{}.r(4).lora_alpha(8).target_modules({"query", "value"}));
    CHECK_THROWS_WITH(peft::load_adapter(plain, out), Catch::Contains("field 'init_lora_weights'"));
    testing::remove_tree(out);
  }
}

TEST_CASE("adapter io: saved LoRA adapters read as lora_adapter and combine with add_weighted_adapter", "[peft][adapter_io][weighted]") {
  const auto p = peft::lora{}.r(4).lora_alpha(8).target_modules({"query", "value"});
  auto ma = base_with("bert", p), mb = base_with("bert", p);
  for (auto* m : {&ma, &mb}) {
    torch::NoGradGuard ng;
    for (auto& t : (*m)->named_parameters())
      if (t.key().find("lora_B") != std::string::npos) t.value().normal_();
  }
  const auto dir_a = scratch("weighted_a"), dir_b = scratch("weighted_b");
  peft::save_adapter(ma, dir_a, {.task_type = "FEATURE_EXTRACTION"});
  peft::save_adapter(mb, dir_b, {.task_type = "FEATURE_EXTRACTION"});
  const std::string q = "bert.encoder.layer.0.peft.lora.query.";
  {
    auto a = peft::lora_adapter::read(dir_a);   // HF's adapter_config.json + adapter_model.safetensors
    const auto& a0 = a.lora_A("base_model.model.bert.encoder.layer.0.attention.self.query");
    CHECK(torch::equal(a0, ma->named_parameters()[q + "lora_A.weight"]));
    CHECK(a.config.r() == 4);
    CHECK(a.tensors.size() == 2 * 2 * 2);  // 2 layers, query and value, A and B
    CHECK_THROWS_WITH(a.lora_B("bert.encoder.layer.0.attention.self.query"), Catch::Contains("'base_model.model.' prefix"));
  }
  {
    auto a = peft::lora_adapter::read(dir_a), b = peft::lora_adapter::read(dir_b);
    auto merged = peft::add_weighted_adapter({a, b}, {0.7, 0.3}, {.combination_type = "ties", .density = 0.5});
    auto sum = peft::add_weighted_adapter({a, b}, {1.0, 1.0}, {.combination_type = "cat"});
    CHECK(merged.config.r() == 4);
    CHECK(sum.config.r() == 8);
    const std::string site = "base_model.model.bert.encoder.layer.0.attention.self.query";
    auto delta = [&](auto& m) {
      auto ps = m->named_parameters();
      return torch::matmul(ps[q + "lora_B.weight"], ps[q + "lora_A.weight"]) * 2.0;
    };
    CHECK((torch::matmul(sum.lora_B(site), sum.lora_A(site)) - delta(ma) - delta(mb)).abs().max().item<double>() < 1e-5);
  }
  testing::remove_tree(dir_a);
  testing::remove_tree(dir_b);
}

TEST_CASE("adapter io: a config that disagrees with the model is refused, naming the field", "[peft][adapter_io]") {
  const auto dir = adapter_dir("lora", "bert");
  auto wrong_r = base_with("bert", peft::lora{}.r(8).lora_alpha(8).target_modules({"query", "value"}));
  CHECK_THROWS_AS(peft::load_adapter(wrong_r, dir), file_error);
  CHECK_THROWS_WITH(peft::load_adapter(wrong_r, dir), Catch::Contains("field 'r' is 4") && Catch::Contains("r = 8"));

  auto wrong_targets = base_with("bert", peft::lora{}.r(4).lora_alpha(8).target_modules({"query", "key"}));
  CHECK_THROWS_WITH(peft::load_adapter(wrong_targets, dir), Catch::Contains("field 'target_modules'"));

  auto wrong_method = base_with("bert", peft::ia3{});
  CHECK_THROWS_WITH(peft::load_adapter(wrong_method, dir),
                    Catch::Contains("field 'peft_type' is 'LORA'") && Catch::Contains("adapter_config.json"));

  auto j = peft::read_adapter_config(dir);
  j["bias"] = "all";
  CHECK_THROWS_WITH(peft::lora_from_config(j), Catch::Contains("field 'bias'"));

  // A model of the wrong shape: the tensors say so.
  auto roberta = base_with("roberta", peft::lora_from_config(peft::read_adapter_config(dir)));
  CHECK_THROWS_WITH(peft::load_adapter(roberta, dir), Catch::Contains("has no place in the model"));
}

TEST_CASE("adapter io: a number that does not fit its field is refused, naming the field", "[peft][adapter_io]") {
  // Found by fuzzing: 1e300 in "r" or "layers_to_transform" was cast to int64 (undefined behaviour).
  using nlohmann::json;
  CHECK_THROWS_AS(peft::lora_from_config(json::parse(R"({"peft_type": "LORA", "r": 1e300})")), file_error);
  CHECK_THROWS_WITH(peft::lora_from_config(json::parse(R"({"peft_type": "LORA", "r": 4.5})")),
                    Catch::Contains("field 'r' has the wrong type"));
  CHECK_THROWS_WITH(peft::lora_from_config(json::parse(R"({"peft_type": "LORA", "layers_to_transform": [0, 1e300]})")),
                    Catch::Contains("field 'layers_to_transform'"));
  CHECK_THROWS_WITH(peft::lora_from_config(json::parse(R"({"peft_type": "LORA", "layers_to_transform": 18446744073709551615})")),
                    Catch::Contains("field 'layers_to_transform'"));
  CHECK(peft::lora_from_config(json::parse(R"({"peft_type": "LORA", "r": 4, "lora_alpha": 16})")).r() == 4);
}

TEST_CASE("adapter io: prompt tuning saves HF's prompt_embeddings and a head without '.model'", "[peft][adapter_io]") {
  auto m = base_with("bert", peft::prompt_tuning{}.num_virtual_tokens(4));
  const auto out = scratch("prompt");
  peft::save_adapter(m, out);
  CHECK(keys_of(out / "adapter_model.safetensors") ==
        std::set<std::string>{"prompt_embeddings", "base_model.classifier.weight", "base_model.classifier.bias"});
  const auto cfg = peft::read_adapter_config(out);
  CHECK(cfg["peft_type"] == "PROMPT_TUNING");
  CHECK(cfg["token_dim"] == 32);
  auto fresh = base_with("bert", peft::policy_from_config<peft::prompt_tuning>(cfg));
  peft::load_adapter(fresh, out);
  CHECK(torch::equal(logits(fresh, "bert"), logits(m, "bert")));
  testing::remove_tree(out);
}

TEST_CASE("adapter io: a prefix trained through its MLP is saved folded and loads as a plain prefix", "[peft][adapter_io][prefix]") {
  const auto policy = peft::prefix_tuning{}.num_virtual_tokens(4).prefix_projection(true).encoder_hidden_size(24);
  auto m = base_with("bert", policy);
  {
    // Stands for a trained MLP: random weights of a larger spread than the initialisation.
    torch::NoGradGuard ng;
    torch::manual_seed(18);
    for (auto& p : m->named_parameters())
      if (p.key().find(".peft.prefix_tuning.") != std::string::npos) p.value().copy_(0.5 * torch::randn_like(p.value()));
  }
  const auto trained = logits(m, "bert");
  const auto out = scratch("prefix-folded");
  peft::save_adapter(m, out);

  // No MLP in the file: HF's prompt_embeddings holds the computed prefix [P, 2·L·H].
  CHECK(keys_of(out / "adapter_model.safetensors") ==
        std::set<std::string>{"prompt_embeddings", "base_model.classifier.weight", "base_model.classifier.bias"});
  const auto& c = m->config();
  const auto prompt = io::load_safetensors(out / "adapter_model.safetensors").at("prompt_embeddings");
  CHECK(prompt.sizes() == torch::IntArrayRef{4, 2 * c.num_hidden_layers * c.hidden_size});
  CHECK(prompt.numel() == policy.stored_parameters(c));
  const auto cfg = peft::read_adapter_config(out);
  CHECK(cfg["peft_type"] == "PREFIX_TUNING");
  CHECK(cfg["prefix_projection"] == false);
  CHECK(cfg["encoder_hidden_size"] == c.hidden_size);

  // Loaded into a model built from the written config, the folded prefix gives the trained logits.
  const auto folded = peft::policy_from_config<peft::prefix_tuning>(cfg);
  CHECK_FALSE(folded.prefix_projection());
  auto fresh = base_with("bert", folded);
  CHECK_FALSE(torch::allclose(logits(fresh, "bert"), trained, 1e-5, 1e-5));
  peft::load_adapter(fresh, out);
  const auto got = logits(fresh, "bert");
  INFO("max |diff| " << (got - trained).abs().max().item<double>());
  CHECK(torch::allclose(got, trained, 1e-5, 1e-5));

  // A model that still has the MLP is refused, naming a field that differs and what to do.
  auto with_mlp = base_with("bert", policy);
  CHECK_THROWS_WITH(peft::load_adapter(with_mlp, out),
                    Catch::Contains("field 'encoder_hidden_size' is 32") && Catch::Contains("policy_from_config"));
  auto same_width = base_with("bert", peft::prefix_tuning(policy).encoder_hidden_size(c.hidden_size));
  CHECK_THROWS_WITH(peft::load_adapter(same_width, out),
                    Catch::Contains("field 'prefix_projection' is false") && Catch::Contains("prefix_projection = true"));
  // HF's own files say prefix_projection true when trained with the MLP, and hold the folded prefix too.
  auto hf = cfg;
  hf["prefix_projection"] = true;
  CHECK_FALSE(peft::policy_from_config<peft::prefix_tuning>(hf).prefix_projection());
  testing::remove_tree(out);
}

TEST_CASE("a policy added in one file: a search-space dimension sizes it, HF's adapter files hold it", "[peft][adapter_io]") {
  using testing::uv;
  // The space's size_of<uv, D> sets uv's size option (r); 0 switches it off.
  using S = space::search_space<space::size_of<uv, space::ordinal<"uv_r", 0, 2, 8>>>;
  STATIC_REQUIRE(std::is_same_v<space::family_t<S>, peft::plan<uv>>);
  CHECK_FALSE(space::to_plan(S{}, space::configuration{{0.0}}).is_enabled<uv>());
  const auto plan = space::to_plan(S{}, space::configuration{{1.0}}, peft::plan<uv>{uv{}.scale(2).layers_to_transform({1})});
  CHECK(plan.is_enabled<uv>());
  CHECK(plan.get<uv>().r() == 2);
  CHECK(plan.get<uv>().scale() == 2);

  // Trained away from zero, saved under HF's keys and config fields, loaded into a fresh model.
  torch::manual_seed(3);
  auto m = base_with("bert", plan.get<uv>());
  {
    torch::NoGradGuard ng;
    for (auto& p : m->named_parameters())
      if (peft::is_peft_parameter(p.key())) p.value().normal_();
  }
  const auto out = scratch("uv");
  peft::save_adapter(m, out);
  const auto keys = keys_of(out / "adapter_model.safetensors");
  CHECK(keys.contains("base_model.model.bert.encoder.layer.1.attention.self.query.uv_U"));
  CHECK(keys.contains("base_model.model.bert.encoder.layer.1.attention.self.value.uv_V"));
  CHECK(keys.size() == 2 * 2 + 2);  // query and value of layer 1, and the head
  const auto cfg = peft::read_adapter_config(out);
  CHECK(cfg["peft_type"] == "UV");
  CHECK(cfg["r"] == 2);
  auto fresh = base_with("bert", peft::policy_from_config<uv>(cfg));
  peft::load_adapter(fresh, out);
  CHECK(torch::equal(logits(fresh, "bert"), logits(m, "bert")));
  CHECK_THROWS_WITH(peft::load_adapter(fresh = base_with("bert", uv{}.r(3).layers_to_transform({1})), out),
                    Catch::Contains("field 'r' is 2"));
  testing::remove_tree(out);
}

// Adapters injected into a module tree (peft::inject, plain torch::nn::Linear layers of the
// encoder or of a user's module) read and write HF PEFT's files.
namespace {

template <class M>
torch::Tensor adapted_logits(M& m, const std::string& arch) {
  peft::adapted_weights adapted(*m);
  return logits(m, arch);
}

/// HF's adapter directory for `method` on `arch`: the fixture's own, or, for the fixtures that
/// hold only HF's in-memory state (state.safetensors, keys "….lora_A.default.weight"), one made
/// here: the config and key set that save_adapter writes for `policy`, the tensors HF's (its
/// keys without the adapter name, as get_peft_model_state_dict saves them).
template <class P>
fs::path hf_adapter_dir(const std::string& method, const std::string& arch, const P& policy, const fs::path& scratch) {
  if (const auto dir = adapter_dir(method, arch); fs::exists(dir / "adapter_config.json")) return dir;
  auto m = io::from_pretrained<model::SequenceClassifier<>>(fixtures / "hf" / (arch + "-seqcls"));
  peft::inject(*m, policy);
  peft::save_adapter(*m, policy, scratch);
  const auto state = io::load_safetensors(fixtures / "peft" / (method + "-" + arch) / "state.safetensors");
  std::map<std::string, torch::Tensor> hf;
  for (const auto& [key, t] : state.tensors) {
    auto k = key;
    for (auto at = k.find(".default"); at != std::string::npos; at = k.find(".default")) k.erase(at, 8);
    if (k.ends_with(".lora_magnitude_vector.weight")) k.erase(k.size() - 7);
    for (const char* shared : {"vera_A", "vera_B"})  // one shared pair, saved once
      if (k.ends_with(std::string(".") + shared)) k = std::string("base_model.") + shared;
    hf[k] = t;
  }
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  for (const auto& k : keys_of(scratch / "adapter_model.safetensors")) {
    INFO(k);
    REQUIRE(hf.contains(k));
    tensors.emplace_back(k, hf.at(k));
  }
  io::save_safetensors(scratch / "adapter_model.safetensors", tensors);
  return scratch;
}

template <class P>
void check_injected(const std::string& method, const P& policy) {
  for (const std::string arch : {"bert", "roberta"}) {
    INFO(method << "-" << arch);
    testing::scratch_dir made("hf-" + method);
    const auto dir = hf_adapter_dir(method, arch, policy, made.path);
    auto m = io::from_pretrained<model::SequenceClassifier<>>(fixtures / "hf" / (arch + "-seqcls"));
    const torch::Tensor before = adapted_logits(m, arch);
    const auto r = peft::load_adapter<P>(*m, dir);
    CHECK_FALSE(r.modules.empty());
    const torch::Tensor hf_logits =
        io::load_safetensors(fixtures / "peft" / (method + "-" + arch) / "state.safetensors").at("logits");
    const torch::Tensor got = adapted_logits(m, arch);
    CHECK((got - before).abs().max().item<double>() > 2 * tolerance);
    CHECK((got - hf_logits).abs().max().item<double>() < tolerance);
    // Written back, the file holds HF's keys; a fresh encoder loads it to the same logits.
    const auto read = peft::policy_from_config<P>(peft::read_adapter_config(dir));
    testing::scratch_dir out("injected-" + method);
    peft::save_adapter(*m, read, out.path, "default", {.task_type = "SEQ_CLS"});
    // (The made directories hold no head: HF's in-memory state of those fixtures has none.)
    auto without_head = [](std::set<std::string> keys) {
      std::erase_if(keys, [](const std::string& k) { return k.starts_with("base_model.model.classifier."); });
      return keys;
    };
    CHECK(without_head(keys_of(out / "adapter_model.safetensors")) == without_head(keys_of(dir / "adapter_model.safetensors")));
    CHECK(keys_of(out / "adapter_model.safetensors").contains(arch == "bert" ? "base_model.model.classifier.weight"
                                                                              : "base_model.model.classifier.out_proj.weight"));
    CHECK(peft::read_adapter_config(out.path)["peft_type"] == peft::read_adapter_config(dir)["peft_type"]);
    auto fresh = io::from_pretrained<model::SequenceClassifier<>>(fixtures / "hf" / (arch + "-seqcls"));
    peft::load_adapter<P>(*fresh, out.path);
    CHECK(torch::equal(adapted_logits(fresh, arch), got));
  }
}

/// A user's module of LibTorch's own Linear layers.
struct TwoLayerImpl : torch::nn::Module {
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
  TwoLayerImpl() {
    fc1 = register_module("fc1", torch::nn::Linear(6, 12));
    fc2 = register_module("fc2", torch::nn::Linear(12, 6));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    peft::adapted_weights adapted(*this);
    return fc2(torch::relu(fc1(x)));
  }
};
TORCH_MODULE(TwoLayer);

}  // namespace

TEST_CASE("adapter io: HF PEFT's adapters load by injection into an encoder's plain Linears, with HF's logits",
          "[peft][adapter_io][plain_linear]") {
  // The configurations of the fixtures (tools/make_peft_fixtures.py; test_hf_peft_parity.cpp).
  SECTION("LoRA") { check_injected("lora", peft::lora{}); }
  SECTION("(IA)3") { check_injected("ia3", peft::ia3{}); }
  SECTION("DoRA") {
    check_injected("dora", peft::lora{}.r(4).lora_alpha(8).use_dora(true)
                               .target_modules({"query", "value", "output.dense"}).layers_to_transform({1}));
  }
  SECTION("LoHa") { check_injected("loha", peft::loha{}.r(4).alpha(8).target_modules({"query", "value"})); }
  SECTION("LoKr") {
    check_injected("lokr", peft::lokr{}.r(4).alpha(8).target_modules({"query", "value", "intermediate.dense"}));
  }
  SECTION("VeRA") { check_injected("vera", peft::vera{}.r(8).target_modules({"query", "value"})); }
}

TEST_CASE("adapter io: named adapters of a user's module save in HF's layout and load back, switching alike",
          "[peft][adapter_io][named]") {
  torch::manual_seed(61);
  TwoLayer net, twin;
  {
    torch::NoGradGuard ng;
    auto theirs = net->named_parameters();
    for (auto& p : twin->named_parameters()) p.value().copy_(theirs[p.key()]);
  }
  const auto lora = peft::lora{}.r(2).lora_alpha(4).init_lora_weights(false).target_modules({"fc1", "fc2"});
  const auto ia3 = peft::ia3{}.target_modules({"fc2"}).feedforward_modules({});
  peft::inject(*net, lora);
  peft::add_adapter(*net, "scaled", ia3);
  {
    torch::NoGradGuard ng;
    for (auto& p : net->named_parameters())
      if (p.key().find(".ia3_scaled.") != std::string::npos) p.value().uniform_(0.5, 1.5);
  }
  testing::scratch_dir dir("named-adapters");
  peft::save_adapter(*net, lora, dir.path);
  peft::save_adapter(*net, ia3, dir.path, "scaled");
  CHECK(fs::exists(dir / "adapter_config.json"));
  CHECK(fs::exists(dir.path / "scaled" / "adapter_model.safetensors"));
  CHECK(keys_of(dir / "adapter_model.safetensors") ==
        std::set<std::string>{"base_model.model.fc1.lora_A.weight", "base_model.model.fc1.lora_B.weight",
                              "base_model.model.fc2.lora_A.weight", "base_model.model.fc2.lora_B.weight"});
  CHECK(keys_of(dir.path / "scaled" / "adapter_model.safetensors") ==
        std::set<std::string>{"base_model.model.fc2.ia3_l"});
  CHECK(peft::read_adapter_config(dir.path)["task_type"].is_null());

  peft::load_adapter<peft::lora>(*twin, dir.path);
  peft::load_adapter<peft::ia3>(*twin, dir.path, "scaled");
  CHECK(peft::active_adapter(*twin) == "default");
  const auto x = torch::randn({3, 6});
  CHECK(torch::allclose(twin(x), net(x), 1e-6, 1e-6));
  peft::set_adapter(*net, "scaled");
  peft::set_adapter(*twin, "scaled");
  REQUIRE_FALSE(torch::allclose(twin(x), net->fc2(torch::relu(net->fc1(x))), 1e-3, 1e-3));
  CHECK(torch::allclose(twin(x), net(x), 1e-6, 1e-6));
}

TEST_CASE("adapter io: a bad injected adapter file changes nothing and says why", "[peft][adapter_io][plain_linear]") {
  torch::manual_seed(62);
  TwoLayer net;
  const auto lora = peft::lora{}.r(2).target_modules({"fc1", "fc2"});
  peft::inject(*net, lora);
  testing::scratch_dir dir("bad-injected");
  peft::save_adapter(*net, lora, dir.path);
  // A file with a tensor the module has no place for.
  auto content = io::load_safetensors(dir / "adapter_model.safetensors");
  std::vector<std::pair<std::string, torch::Tensor>> tensors(content.tensors.begin(), content.tensors.end());
  tensors.emplace_back("base_model.model.fc3.lora_A.weight", torch::zeros({2, 6}));
  io::save_safetensors(dir / "adapter_model.safetensors", tensors);
  TwoLayer other;
  const auto before = other->named_parameters().keys();
  try {
    peft::load_adapter<peft::lora>(*other, dir.path);
    FAIL("no error");
  } catch (const file_error& e) {
    CHECK_THAT(e.what(), Catch::Contains("adapter_model.safetensors") &&
                             Catch::Contains("'base_model.model.fc3.lora_A.weight' has no place in the module"));
  }
  CHECK(other->named_parameters().keys() == before);
  CHECK(other->named_children().size() == 2);
  // A plan's own PEFT Linears (lora_A, lora_B) are never targets of an injection.
  classifier<peft::lora> planned(testing::small_encoder(), peft::plan<peft::lora>{peft::lora{}.r(2)});
  peft::targets inner;
  inner.regex = ".*lora_[AB]";
  try {
    peft::inject(*planned, peft::lora{}.r(2).target_modules(inner));
    FAIL("no error");
  } catch (const error& e) {
    CHECK_THAT(e.what(), Catch::Contains("matched no Linear module") && !Catch::Contains("peft.lora"));
  }
  // No such adapter to save.
  try {
    peft::save_adapter(*other, lora, dir.path, "missing");
    FAIL("no error");
  } catch (const error& e) {
    CHECK_THAT(e.what(), Catch::Contains("holds no lora sites of the adapter 'missing'"));
  }
}

TEST_CASE("adapter io: a masked-LM model's adapter saves with task_type null and loads back", "[peft][adapter_io]") {
  using mlm = model::MaskedLM<peft::plan<peft::lora>>;
  torch::manual_seed(63);
  auto config = testing::small_encoder();
  const auto policy = peft::lora{}.r(2).init_lora_weights(false).target_modules({"query", "value"});
  mlm m(config, peft::plan<peft::lora>{policy});
  testing::scratch_dir dir("mlm-adapter");
  peft::save_adapter(m, dir.path, {.task_type = ""});
  const auto j = peft::read_adapter_config(dir.path);
  CHECK(j["task_type"].is_null());
  CHECK(j["modules_to_save"].is_null());
  const auto keys = keys_of(dir / "adapter_model.safetensors");
  CHECK(keys.contains("base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight"));
  mlm fresh(config, peft::plan<peft::lora>{policy});
  {
    torch::NoGradGuard ng;
    auto theirs = m->named_parameters();
    for (auto& p : fresh->named_parameters())
      if (p.key().find(".peft.") == std::string::npos) p.value().copy_(theirs[p.key()]);
  }
  peft::load_adapter(fresh, dir.path);
  const auto ids = torch::randint(5, config.vocab_size, {2, 7});
  m->eval();
  fresh->eval();
  torch::NoGradGuard ng;
  CHECK(torch::equal(fresh->forward(ids), m->forward(ids)));
}

TEST_CASE("adapter io: save_hf_adapters writes each module kind HF PEFT has and names the others",
          "[peft][adapter_io][hf_export]") {
  using family = peft::plan<peft::serial_adapter, peft::prefix_tuning, peft::lora, peft::ia3>;
  using model_t = model::SequenceClassifier<family>;
  const auto lora = peft::lora{}.r(2).lora_alpha(4).init_lora_weights(false).target_modules({"query", "value"});
  const auto ia3 = peft::ia3{}.target_modules({"key", "value", "output.dense"}).feedforward_modules({"output.dense"})
                       .layers_to_transform({1});
  family plan{peft::serial_adapter{}.bottleneck_size(4), peft::prefix_tuning{}.num_virtual_tokens(3).layers_to_transform({0}),
              lora, ia3};
  torch::manual_seed(71);
  auto m = io::from_pretrained<model_t>(fixtures / "hf" / "bert-seqcls", nullptr, plan);
  testing::scratch_dir dir("hf-export");
  const auto r = peft::save_hf_adapters(m, dir.path);
  CHECK(r.written == std::vector<std::string>{"lora", "ia3"});
  REQUIRE(r.without_hf.size() == 2);
  CHECK(r.without_hf[0].first == "serial_adapter");
  CHECK_THAT(r.without_hf[0].second, Catch::Contains("HF PEFT has no serial_adapter method"));
  CHECK(r.without_hf[1].first == "prefix_tuning");
  CHECK_THAT(r.without_hf[1].second, Catch::Contains("layers_to_transform"));
  CHECK(peft::read_adapter_config(dir.path / "lora")["peft_type"] == "LORA");
  CHECK_FALSE(fs::exists(dir.path / "serial_adapter"));
  // (IA)3's HF config has no layers_to_transform: its layer comes as a target_modules regex that
  // selects the same modules (the same closed-form count, and not that of every layer).
  const auto ia3_config = peft::read_adapter_config(dir.path / "ia3");
  REQUIRE(ia3_config["target_modules"].is_string());
  const auto read = peft::policy_from_config<peft::ia3>(ia3_config);
  const auto c = m->config();
  CHECK(read.trainable_parameters(c) == ia3.trainable_parameters(c));
  CHECK(read.trainable_parameters(c) < peft::ia3{ia3}.layers_to_transform({}).trainable_parameters(c));
  for (const auto& k : keys_of(dir.path / "lora" / "adapter_model.safetensors")) {
    INFO(k);
    CHECK((k.find(".lora_A.") != std::string::npos || k.find(".lora_B.") != std::string::npos ||
           k.starts_with("base_model.model.classifier.")));
  }

  // With the other modules off, the LoRA file is the whole configuration: loaded by injection
  // into the plain model, it gives the configuration's logits.
  family lora_only = plan;
  lora_only.enable<peft::serial_adapter>(false).enable<peft::prefix_tuning>(false).enable<peft::ia3>(false);
  torch::manual_seed(72);
  auto solo = io::from_pretrained<model_t>(fixtures / "hf" / "bert-seqcls", nullptr, lora_only);
  testing::scratch_dir solo_dir("hf-export-solo");
  CHECK(peft::save_hf_adapters(solo, solo_dir.path).without_hf.empty());
  auto plain = io::from_pretrained<model::SequenceClassifier<>>(fixtures / "hf" / "bert-seqcls");
  peft::load_adapter<peft::lora>(*plain, solo_dir.path / "lora");
  const torch::Tensor expected = logits(solo, "bert");
  CHECK((adapted_logits(plain, "bert") - expected).abs().max().item<double>() < tolerance);
}
