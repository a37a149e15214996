// Parity with HF PEFT, from the fixtures tools/make_peft_fixtures.py writes:
//  - trainable counts of bert-base / roberta-base shaped models (tests/fixtures/peft/counts.json);
//  - logits of the small fixture classifiers with every method's trainable tensors perturbed, so
//    that no module sits at its identity initialisation (tests/fixtures/peft/<method>-<arch>/).
#include <autopeft/io/hf_checkpoint.hpp>
#include <autopeft/io/safetensors.hpp>
#include <autopeft/model.hpp>
#include <autopeft/peft/hf_names.hpp>
#include <autopeft/peft/ia3.hpp>
#include <autopeft/peft/ln_tuning.hpp>
#include <autopeft/peft/loha.hpp>
#include <autopeft/peft/lokr.hpp>
#include <autopeft/peft/lora.hpp>
#include <autopeft/peft/plan.hpp>
#include <autopeft/peft/prefix_tuning.hpp>
#include <autopeft/peft/prompt_tuning.hpp>
#include <autopeft/peft/vera.hpp>

#include <fstream>
#include <functional>
#include <map>
#include <set>

namespace fs = std::filesystem;
using namespace autopeft;
using model::EncoderConfig;

namespace {

const fs::path fixtures = fs::path(AUTOPEFT_FIXTURES_DIR);
/// Logits agree to float rounding (observed: below 2e-8).
constexpr double tolerance = 1e-5;
const std::vector<std::string> all6{"query", "key", "value", "intermediate.dense", "output.dense"};

template <class P>
std::int64_t count(const P& p, const EncoderConfig& c) {
  return peft::plan<P>{p}.trainable_parameters(c);
}

using counter = std::function<std::int64_t(const EncoderConfig&)>;

/// count_configs() of tools/make_peft_fixtures.py, as autopeft policies.
std::map<std::string, counter> count_table() {
  using peft::lora, peft::loha, peft::lokr, peft::vera, peft::ia3, peft::prefix_tuning, peft::prompt_tuning;
  auto of = [](auto p) -> counter { return [p](const EncoderConfig& c) { return count(p, c); }; };
  return {
      {"lora_r8_qv", of(lora{}.r(8).target_modules({"query", "value"}))},
      {"lora_r16_all", of(lora{}.r(16).target_modules(all6))},
      {"lora_r4_qv_layers_0_5", of(lora{}.r(4).target_modules({"query", "value"}).layers_to_transform({0, 5}))},
      {"dora_r8_qv", of(lora{}.r(8).use_dora(true).target_modules({"query", "value"}))},
      {"dora_r2_all", of(lora{}.r(2).use_dora(true).target_modules(all6))},
      {"loha_r8_qv", of(loha{}.r(8).target_modules({"query", "value"}))},
      {"loha_r4_all", of(loha{}.r(4).target_modules(all6))},
      {"lokr_r8_qv", of(lokr{}.r(8).target_modules({"query", "value"}))},
      {"lokr_r4_all", of(lokr{}.r(4).target_modules(all6))},
      {"lokr_r8_qv_decompose_both", of(lokr{}.r(8).decompose_both(true).target_modules({"query", "value"}))},
      {"vera_r256_qv", of(vera{}.r(256).target_modules({"query", "value"}))},
      {"vera_r16_all", of(vera{}.r(16).target_modules(all6))},
      {"ia3_kv_ff", of(ia3{}.target_modules({"key", "value", "output.dense"}).feedforward_modules({"output.dense"}))},
      {"ia3_kv", of(ia3{}.target_modules({"key", "value"}).feedforward_modules(std::vector<std::string>{}))},
      {"prefix_20", of(prefix_tuning{}.num_virtual_tokens(20))},
      {"prefix_20_proj", of(prefix_tuning{}.num_virtual_tokens(20).prefix_projection(true))},
      {"prefix_10_proj800",
       of(prefix_tuning{}.num_virtual_tokens(10).prefix_projection(true).encoder_hidden_size(800))},
      {"prompt_20", of(prompt_tuning{}.num_virtual_tokens(20))},
      {"prompt_100", of(prompt_tuning{}.num_virtual_tokens(100))},
      {"ln_tuning", of(peft::ln_tuning{}.target_modules({"LayerNorm"}))},
  };
}

double max_diff(const torch::Tensor& a, const torch::Tensor& b) {
  REQUIRE(a.sizes() == b.sizes());
  return (a - b).abs().max().item<double>();
}

/// Loads the fixture classifier of `arch` with `policy`, copies HF's perturbed PEFT tensors
/// into it and returns max |logits - HF logits| on the fixture inputs.
template <class P>
double logits_diff(const std::string& method, const std::string& arch, const P& policy) {
  using family = peft::plan<P>;
  const auto base_dir = fixtures / "hf" / (arch + "-seqcls");
  auto m = io::from_pretrained<model::SequenceClassifier<family>>(base_dir, nullptr, family{policy});
  const auto state = io::load_safetensors(fixtures / "peft" / (method + "-" + arch) / "state.safetensors");

  auto ours = m->named_parameters(true);
  auto buffers = m->named_buffers(true);
  std::set<std::string> written;
  {
    torch::NoGradGuard ng;
    for (const auto& [hf, t] : state.tensors) {
      if (hf == "logits") continue;
      const auto name = peft::from_hf_name<P>(hf, arch);
      INFO("HF tensor " << hf << " -> ours '" << name << "'");
      REQUIRE(!name.empty());
      torch::Tensor* target = ours.find(name);
      if (!target) target = buffers.find(name);
      if (!target) {
        std::ostringstream ks;
        for (const auto& p : ours)
          if (p.key().find(".peft.") != std::string::npos) ks << p.key() << "\n";
        for (const auto& b : buffers)
          if (b.key().find(".peft.") != std::string::npos) ks << b.key() << " (buffer)\n";
        FAIL("no such parameter or buffer; our PEFT tensors:\n" << ks.str());
      }
      REQUIRE(target->sizes() == t.sizes());
      target->copy_(t);
      written.insert(name);
    }
  }
  // Every PEFT parameter of ours must have come from HF: none is left at its initialisation.
  for (const auto& p : ours)
    if (p.key().find(".peft.") != std::string::npos) {
      INFO("our parameter " << p.key());
      CHECK(written.contains(p.key()));
    }

  m->eval();
  const auto io = io::load_safetensors(fixtures / "hf" / (arch + "-seqcls") / "io.safetensors");
  torch::Tensor types;
  if (io.contains("token_type_ids")) types = io.at("token_type_ids");
  torch::NoGradGuard ng;
  const auto logits = m->forward(io.at("input_ids"), io.at("attention_mask"), types);
  // The perturbed PEFT modules must move HF's logits off the base model's by more than the
  // tolerance, or parity would hold for a method that does nothing. (The fixture models are
  // initialised with std 0.02, so the moves are small: 7e-5 to 3e-2.)
  const auto moved = max_diff(state.at("logits"), io.at("logits"));
  UNSCOPED_INFO(method << "-" << arch << ": max |HF PEFT logits - base logits| = " << moved);
  CHECK(moved > 2 * tolerance);
  return max_diff(logits, state.at("logits"));
}

template <class P>
void check_parity(const std::string& method, const P& policy) {
  for (const std::string arch : {"bert", "roberta"}) {
    INFO(method << "-" << arch);
    const auto d = logits_diff(method, arch, policy);
    UNSCOPED_INFO(method << "-" << arch << ": max |logits - HF| = " << d);
    CHECK(d < tolerance);
  }
}

}  // namespace

TEST_CASE("HF PEFT parity: trainable counts of bert-base and roberta-base", "[peft][parity]") {
  nlohmann::json counts;
  std::ifstream(fixtures / "peft" / "counts.json") >> counts;
  const auto table = count_table();
  REQUIRE(!counts.empty());
  for (const auto& [key, hf] : counts.items()) {
    INFO(key);
    const auto slash = key.find('/');
    REQUIRE(slash != std::string::npos);
    const auto arch = key.substr(0, slash), config = key.substr(slash + 1);
    REQUIRE((arch == "bert" || arch == "roberta"));
    // The table must cover every configuration the fixture script counted.
    REQUIRE(table.contains(config));
    const auto c = arch == "bert" ? EncoderConfig::bert_base() : EncoderConfig::roberta_base();
    CHECK(table.at(config)(c) == hf.get<std::int64_t>());
  }
  // And no entry of the table goes unchecked.
  for (const auto& [config, f] : table) {
    INFO(config);
    CHECK(counts.contains("bert/" + config));
    CHECK(counts.contains("roberta/" + config));
  }
}

TEST_CASE("HF PEFT parity: logits of LoRA, rsLoRA and DoRA", "[peft][parity]") {
  check_parity("lora", peft::lora{}.r(4).lora_alpha(8).target_modules({"query", "value"}));
  check_parity("lora_rs_all", peft::lora{}.r(2).lora_alpha(4).use_rslora(true).target_modules(all6));
  check_parity("dora", peft::lora{}.r(4).lora_alpha(8).use_dora(true)
                           .target_modules({"query", "value", "output.dense"}).layers_to_transform({1}));
}

TEST_CASE("HF PEFT parity: logits of (IA)3, LoHa, LoKr and VeRA", "[peft][parity]") {
  check_parity("ia3", peft::ia3{}.target_modules({"key", "value", "output.dense"}).feedforward_modules({"output.dense"}));
  check_parity("loha", peft::loha{}.r(4).alpha(8).target_modules({"query", "value"}));
  check_parity("lokr", peft::lokr{}.r(4).alpha(8).target_modules({"query", "value", "intermediate.dense"}));
  check_parity("vera", peft::vera{}.r(8).target_modules({"query", "value"}));
}

TEST_CASE("HF PEFT parity: logits of prefix tuning, prompt tuning and LayerNorm tuning", "[peft][parity]") {
  check_parity("prefix", peft::prefix_tuning{}.num_virtual_tokens(5));
  check_parity("prefix_proj", peft::prefix_tuning{}.num_virtual_tokens(5).prefix_projection(true).encoder_hidden_size(24));
  check_parity("prompt", peft::prompt_tuning{}.num_virtual_tokens(4));
  check_parity("ln_tuning", peft::ln_tuning{}.target_modules({"LayerNorm"}));
}
