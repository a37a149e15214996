// The policy law suite over every policy (at the end), and the laws on further configurations of
// (IA)³, LoHa, LoKr, VeRA, BitFit and LayerNorm tuning: a freshly initialised module leaves the
// backbone unchanged; gradients reach only PEFT parameters and the head; the policy learns a toy
// task; the closed-form count equals the built model's and HF PEFT's; merging and unmerging are
// exact.
#include <autopeft/model.hpp>
#include <autopeft/peft.hpp>
#include <autopeft/peft/bitfit.hpp>
#include <autopeft/peft/ia3.hpp>
#include <autopeft/peft/ln_tuning.hpp>
#include <autopeft/peft/loha.hpp>
#include <autopeft/peft/lokr.hpp>
#include <autopeft/peft/plan.hpp>
#include <autopeft/peft/trainable.hpp>
#include <autopeft/peft/vera.hpp>

#include "../support/policy_laws.hpp"
#include "../support/small_encoder.hpp"
#include "uv_policy.hpp"

using namespace autopeft;
using model::EncoderConfig;

namespace {

EncoderConfig small() { return testing::small_encoder(); }

/// Other shapes (40 = 5 · 8 exercises LoKr's factorisation away from a square).
EncoderConfig wide() {
  auto c = small();
  c.hidden_size = 24;
  c.num_hidden_layers = 3;
  c.num_attention_heads = 3;
  c.intermediate_size = 40;
  return c;
}

using testing::base_model, testing::check_count, testing::copy_of, testing::max_diff, testing::perturb_peft;
template <class P>
using classifier = testing::classifier<P>;

// The laws of tests/support/policy_laws.hpp on small().
template <class P>
void check_identity_at_init(const P& policy) {
  testing::check_identity_at_init(policy, small());
}
template <class P>
void check_merge(const P& policy, const std::function<void(torch::nn::Module&)>& perturb) {
  testing::check_merge(policy, small(), perturb);
}

const std::vector<std::string> all_linear{"query", "key", "value", "attention.output.dense",
                                          "intermediate.dense", "output.dense"};

}  // namespace

// ---------------------------------------------------------------------------------------------
// (IA)³

TEST_CASE("IA3 is a policy", "[peft][ia3]") {
  STATIC_REQUIRE(peft::policy<peft::ia3>);
  STATIC_REQUIRE(peft::policy<peft::loha>);
  STATIC_REQUIRE(peft::policy<peft::lokr>);
  STATIC_REQUIRE(peft::policy<peft::vera>);
  STATIC_REQUIRE(peft::policy<peft::bitfit>);
  STATIC_REQUIRE(peft::policy<peft::ln_tuning>);
}

TEST_CASE("IA3: ones leave the backbone unchanged", "[peft][ia3]") {
  check_identity_at_init(peft::ia3{}.target_modules(all_linear).feedforward_modules({"intermediate.dense"}));
}

TEST_CASE("IA3: HF's feedforward rule and parameter shapes", "[peft][ia3]") {
  auto c = small();
  const peft::ia3 p{};
  // HF matches feedforward_modules by plain suffix: "output.dense" makes both the FFN output and
  // attention.output.dense feedforward (scaled at the input, [1, in]); key and value scale the
  // output, [out, 1].
  CHECK_FALSE(p.is_feedforward(0, model::site::key));
  CHECK(p.is_feedforward(0, model::site::attention_output));
  CHECK(p.is_feedforward(0, model::site::output));
  classifier<peft::ia3> m(c, peft::plan<peft::ia3>{p});
  auto params = m->named_parameters();
  const std::string pre = "bert.encoder.layer.1.peft.ia3.";
  CHECK(params[pre + "key.ia3_l"].sizes() == torch::IntArrayRef{c.hidden_size, 1});
  CHECK(params[pre + "value.ia3_l"].sizes() == torch::IntArrayRef{c.hidden_size, 1});
  CHECK(params[pre + "attention_output.ia3_l"].sizes() == torch::IntArrayRef{1, c.hidden_size});
  CHECK(params[pre + "output.ia3_l"].sizes() == torch::IntArrayRef{1, c.intermediate_size});
  CHECK_FALSE(params.contains(pre + "query.ia3_l"));
  // HF: feedforward_modules must be a subset of target_modules.
  CHECK_THROWS_AS(peft::ia3{}.feedforward_modules({"intermediate.dense"}).trainable_parameters(c), autopeft::error);
}

TEST_CASE("IA3: closed-form count equals the built model's and HF PEFT's", "[peft][ia3]") {
  check_count(peft::ia3{}.target_modules(all_linear).feedforward_modules({"intermediate.dense"}), wide());
  check_count(peft::ia3{}.layers_to_transform({0, 2}), wide());
  check_count(peft::ia3{}
                  .target_modules({"query", "value", "intermediate.dense"})
                  .feedforward_modules({"intermediate.dense"}),
              small());
  const auto bert = EncoderConfig::bert_base();
  // HF defaults for bert: key, value (out 768 each), attention.output.dense and output.dense both
  // feedforward (in 768 and 3072): 12 · (768 + 768 + 768 + 3072) = 12 · 5,376 = 64,512.
  CHECK(peft::ia3{}.trainable_parameters(bert) == 64'512);
  // query, value, feedforward intermediate.dense (in 768): 12 · (768 + 768 + 768) = 27,648.
  CHECK(peft::ia3{}
            .target_modules({"query", "value", "intermediate.dense"})
            .feedforward_modules({"intermediate.dense"})
            .trainable_parameters(bert) == 27'648);
}

TEST_CASE("IA3: merge and unmerge are exact", "[peft][ia3]") {
  auto scale = [](torch::nn::Module& m) {
    torch::NoGradGuard ng;
    for (auto& p : m.named_parameters())
      if (peft::is_peft_parameter(p.key())) p.value().uniform_(0.5, 1.5);
  };
  check_merge(peft::ia3{}.target_modules(all_linear).feedforward_modules({"intermediate.dense"}), scale);
}

// ---------------------------------------------------------------------------------------------
// LoHa

TEST_CASE("LoHa: zero w2_b leaves the backbone unchanged", "[peft][loha]") {
  check_identity_at_init(peft::loha{}.r(2).alpha(4).target_modules(all_linear));
}

TEST_CASE("LoHa: closed-form count equals the built model's and HF PEFT's", "[peft][loha]") {
  check_count(peft::loha{}.r(3).target_modules(all_linear), wide());
  check_count(peft::loha{}.r(2).target_modules(all_linear).layers_to_transform({1}), wide());
  const auto bert = EncoderConfig::bert_base();
  // r = 8 on query and value: 12 layers · 2 sites · 2 · 8 · (768 + 768) = 589,824.
  CHECK(peft::loha{}.trainable_parameters(bert) == 589'824);
  // r = 4 on all six: 12 · 2 · 4 · (4 · 1,536 + 2 · 3,840) = 12 · 8 · 13,824 = 1,327,104.
  CHECK(peft::loha{}.r(4).target_modules(all_linear).trainable_parameters(bert) == 1'327'104);
}

TEST_CASE("LoHa: merge and unmerge are exact; dropouts act only in training", "[peft][loha]") {
  check_merge(peft::loha{}.r(4).alpha(8).target_modules(all_linear),
              [](torch::nn::Module& m) { perturb_peft(m, 0.3); });
  torch::manual_seed(3);
  auto base = base_model(small());
  auto m = copy_of(base, peft::loha{}.r(4).rank_dropout(0.5).module_dropout(0.5).init_weights(false));
  auto ids = torch::randint(1, small().vocab_size, {3, 7}, torch::kLong);
  torch::NoGradGuard ng;
  auto a = m->backbone->forward(ids).last_hidden_state;
  CHECK(max_diff(m->backbone->forward(ids).last_hidden_state, a) == 0);
  m->train();
  bool differs = false;
  for (int i = 0; i < 5 && !differs; ++i) differs = max_diff(m->backbone->forward(ids).last_hidden_state, a) > 1e-4;
  CHECK(differs);
  CHECK_THROWS_AS(copy_of(base, peft::loha{}.rank_dropout(1.0)), autopeft::error);
}

// ---------------------------------------------------------------------------------------------
// LoKr

TEST_CASE("LoKr: HF's factorization", "[peft][lokr]") {
  using P = std::pair<std::int64_t, std::int64_t>;
  CHECK(peft::lokr_factorization(256) == P{16, 16});
  CHECK(peft::lokr_factorization(128) == P{8, 16});
  CHECK(peft::lokr_factorization(127) == P{1, 127});
  CHECK(peft::lokr_factorization(128, 4) == P{4, 32});
  CHECK(peft::lokr_factorization(768) == P{24, 32});
  CHECK(peft::lokr_factorization(3072) == P{48, 64});
  CHECK(peft::lokr_factorization(768, 8) == P{8, 96});
  CHECK(peft::lokr_factorization(3072, 8) == P{8, 384});
  CHECK(peft::lokr_factorization(40) == P{5, 8});
  CHECK(peft::lokr_factorization(40, 3) == P{2, 20});  // 3 does not divide: largest m ≤ 3 on the way to √40
}

TEST_CASE("LoKr: zero w1 leaves the backbone unchanged", "[peft][lokr]") {
  check_identity_at_init(peft::lokr{}.r(2));
  check_identity_at_init(peft::lokr{}.r(1).decompose_both(true).target_modules(all_linear));
}

TEST_CASE("LoKr: factor shapes on a bert-base layer are HF's", "[peft][lokr]") {
  const auto bert = EncoderConfig::bert_base();
  using family = peft::plan<peft::lokr>;
  // HF PEFT 0.21, LoKrConfig(r=16, target_modules=all six): shapes of layer 0's factors.
  model::EncoderLayer<family> layer(bert, 0, family{peft::lokr{}.r(16).target_modules(all_linear)});
  auto params = layer->named_parameters();
  auto shape = [&](const std::string& k) {
    INFO(k);
    REQUIRE(params.contains("peft.lokr." + k));
    return params["peft.lokr." + k].sizes().vec();
  };
  using S = std::vector<std::int64_t>;
  CHECK(shape("query.lokr_w1") == S{24, 24});
  CHECK(shape("query.lokr_w2") == S{32, 32});
  CHECK(shape("intermediate.lokr_w1") == S{48, 24});
  CHECK(shape("intermediate.lokr_w2_a") == S{64, 16});
  CHECK(shape("intermediate.lokr_w2_b") == S{16, 32});
  CHECK(shape("output.lokr_w1") == S{24, 48});
  CHECK(shape("output.lokr_w2_a") == S{32, 16});
  CHECK(shape("output.lokr_w2_b") == S{16, 64});
  std::int64_t n = 0;
  for (auto& p : params) n += p.value().numel() * peft::is_peft_parameter(p.key());
  CHECK(12 * n == peft::lokr{}.r(16).target_modules(all_linear).trainable_parameters(bert));
}

TEST_CASE("LoKr: closed-form count equals the built model's and HF PEFT's", "[peft][lokr]") {
  check_count(peft::lokr{}.r(2), small());
  check_count(peft::lokr{}.r(1).target_modules(all_linear), wide());
  check_count(peft::lokr{}.r(1).decompose_both(true).target_modules(all_linear), wide());
  check_count(peft::lokr{}.r(8).target_modules(all_linear), wide());  // every factor full
  check_count(peft::lokr{}.r(1).decompose_factor(2).decompose_both(true).target_modules(all_linear), wide());
  check_count(peft::lokr{}.r(2).decompose_factor(3).target_modules(all_linear).layers_to_transform({0, 1}), wide());
  const auto bert = EncoderConfig::bert_base();
  // 768 = 24 · 32, 3072 = 48 · 64 (factor -1); 768 = 8 · 96, 3072 = 8 · 384 (factor 8).
  // w1 [a, c] full unless decompose_both and 2r < max(a, c); w2 [b, d] full unless 2r < max(b, d).
  // r 8, query + value: w1 24·24 = 576, w2 8·(32 + 32) = 512 → 12 · 2 · 1,088 = 26,112.
  CHECK(peft::lokr{}.trainable_parameters(bert) == 26'112);
  // r 4, decompose_both, all six: 768² sites 4·48 + 4·64 = 448 (×4); intermediate and output
  // 4·(48 + 24) + 4·(64 + 32) = 672 (×2) → 12 · (1,792 + 1,344) = 37,632.
  CHECK(peft::lokr{}.r(4).decompose_both(true).target_modules(all_linear).trainable_parameters(bert) == 37'632);
  // r 16, all six: 768² sites 576 + 1,024 = 1,600 (×4); intermediate and output
  // 1,152 + 16·(64 + 32) = 2,688 (×2) → 12 · (6,400 + 5,376) = 141,312.
  CHECK(peft::lokr{}.r(16).target_modules(all_linear).trainable_parameters(bert) == 141'312);
  // r 8, factor 8, all six: 768² sites 64 + 8·192 = 1,600 (×4); intermediate and output
  // 64 + 8·(384 + 96) = 3,904 (×2) → 12 · (6,400 + 7,808) = 170,496.
  CHECK(peft::lokr{}.decompose_factor(8).target_modules(all_linear).trainable_parameters(bert) == 170'496);
  // r 2, factor 8, decompose_both, all six: w1 2·(8 + 8) = 32; 768² sites 32 + 2·192 = 416 (×4);
  // intermediate and output 32 + 2·480 = 992 (×2) → 12 · (1,664 + 1,984) = 43,776.
  CHECK(peft::lokr{}.r(2).decompose_factor(8).decompose_both(true).target_modules(all_linear).trainable_parameters(
            bert) == 43'776);
}

TEST_CASE("LoKr: merge and unmerge are exact", "[peft][lokr]") {
  check_merge(peft::lokr{}.r(1).decompose_both(true).target_modules(all_linear),
              [](torch::nn::Module& m) { perturb_peft(m, 0.3); });
}

// ---------------------------------------------------------------------------------------------
// VeRA

TEST_CASE("VeRA: zero lambda_b leaves the backbone unchanged", "[peft][vera]") {
  check_identity_at_init(peft::vera{}.r(8));
  check_identity_at_init(peft::vera{}.r(4).target_modules(all_linear));
}

TEST_CASE("VeRA: one frozen projection, shared by every site, equal to HF's", "[peft][vera]") {
  auto c = wide();
  const auto p = peft::vera{}.r(6).target_modules(all_linear);
  classifier<peft::vera> m(c, peft::plan<peft::vera>{p});
  auto buffers = m->named_buffers();
  REQUIRE(buffers.contains("bert.embeddings.peft.vera.vera_A"));
  CHECK(buffers["bert.embeddings.peft.vera.vera_A"].sizes() == torch::IntArrayRef{6, c.intermediate_size});
  CHECK(buffers["bert.embeddings.peft.vera.vera_B"].sizes() == torch::IntArrayRef{c.intermediate_size, 6});
  int projections = 0;
  for (auto& b : buffers) projections += b.key().find("vera_A") != std::string::npos;
  CHECK(projections == 1);
  for (auto& b : m->named_parameters()) CHECK(b.key().find("vera_A") == std::string::npos);
  auto shared = m->backbone->embeddings->named_modules("", false)["peft.vera"];
  for (auto& layer : m->backbone->layers)
    layer->hooks().module<peft::vera>()->for_each(
        [&](model::site, peft::vera_site& s) { CHECK(&s.projection() == shared.get()); });
  // HF PEFT 0.21 (torch 2.11), VeraConfig(r=256, projection_prng_key=0) on bert-base query and
  // value: vera_A [256, 768], vera_B [768, 256] start with these values.
  peft::vera_projection hf(256, 768, 768, 0);
  CHECK(hf.vera_A[0][0].item<float>() == -0.0006617476465180516f);
  CHECK(hf.vera_A[0][1].item<float>() == 0.0474153608083725f);
  CHECK(hf.vera_A[0][2].item<float>() == -0.0727475956082344f);
  CHECK(hf.vera_A[5][700].item<float>() == -0.02158593013882637f);
  CHECK(hf.vera_B[0][0].item<float>() == 0.0015406934544444084f);
  CHECK(hf.vera_B[0][1].item<float>() == -0.09968073666095734f);
  CHECK(hf.vera_B[700][5].item<float>() == 0.07444676756858826f);
}

TEST_CASE("VeRA: closed-form count equals the built model's and HF PEFT's", "[peft][vera]") {
  check_count(peft::vera{}.r(8), small());
  check_count(peft::vera{}.r(5).target_modules(all_linear), wide());
  check_count(peft::vera{}.r(3).target_modules(all_linear).layers_to_transform({2}), wide());
  const auto bert = EncoderConfig::bert_base();
  // r 256 on query and value: 12 · 2 · (256 + 768) = 24,576.
  CHECK(peft::vera{}.trainable_parameters(bert) == 24'576);
  // r 64, all six: 12 · (4 · (64 + 768) + (64 + 3,072) + (64 + 768)) = 12 · 7,296 = 87,552.
  CHECK(peft::vera{}.r(64).target_modules(all_linear).trainable_parameters(bert) == 87'552);
}

// ---------------------------------------------------------------------------------------------
// BitFit

TEST_CASE("BitFit: the count is the encoder's bias count (pooler excluded)", "[peft][bitfit]") {
  for (const auto& c : {small(), wide()}) {
    model::EncoderModel<> plain(c);
    std::int64_t biases = 0;
    for (auto& p : plain->named_parameters())
      if (p.key().rfind("pooler.", 0) != 0 && p.key().size() >= 4 && p.key().substr(p.key().size() - 4) == "bias")
        biases += p.value().numel();
    CHECK(peft::bitfit{}.trainable_parameters(c) == biases);
    check_count(peft::bitfit{}, c);
  }
  // 12 · (4 · 768 + 3,072 + 768 + 2 · 768) + 768 = 12 · 8,448 + 768 = 102,144 (no HF peer).
  CHECK(peft::bitfit{}.trainable_parameters(EncoderConfig::bert_base()) == 102'144);
}

// ---------------------------------------------------------------------------------------------
// LayerNorm tuning

TEST_CASE("LN tuning: copies of the base LayerNorms leave the backbone unchanged", "[peft][ln_tuning]") {
  check_identity_at_init(peft::ln_tuning{}.target_modules({"attention.output.LayerNorm"}));
}

TEST_CASE("LN tuning: closed-form count equals the built model's and HF PEFT's", "[peft][ln_tuning]") {
  check_count(peft::ln_tuning{}.target_modules({"output.LayerNorm"}), wide());  // both layer LNs, as in HF
  check_count(peft::ln_tuning{}.target_modules({"embeddings.LayerNorm"}), wide());
  check_count(peft::ln_tuning{}.target_modules({"encoder.layer.1.output.LayerNorm"}), wide());
  CHECK(peft::ln_tuning{}.target_modules({"output.LayerNorm"}).trainable_parameters(wide()) == 3 * 2 * 2 * 24);
  // LNTuningConfig(target_modules=["LayerNorm"]) on bert-base: (1 + 12 · 2) LayerNorms · 2 · 768 = 38,400.
  CHECK(peft::ln_tuning{}.trainable_parameters(EncoderConfig::bert_base()) == 38'400);
}

// ---------------------------------------------------------------------------------------------
// The law suite: every policy, each law that applies to it (tests/support/policy_laws.hpp). A new
// policy joins by adding its type to the list below (testing::uv, from uv_policy.hpp, is one
// added so); law_case_of<P> gives it toy sizes or training settings where the defaults do not
// suit it.

namespace {

template <class P>
testing::law_case<P> law_case_of() {
  return {};
}
template <>
testing::law_case<peft::lora> law_case_of() {
  return {.policy = peft::lora{}.r(4).lora_alpha(8).target_modules({"query", "value"}), .config = small()};
}
template <>
testing::law_case<peft::ia3> law_case_of() {
  return {.policy = peft::ia3{},
          .config = small(),
          .how = {.lr = 0.1, .steps = 200, .spread = 0},
          .perturb = [](torch::nn::Module& m) {  // away from 0: unmerging divides by ia3_l
            torch::NoGradGuard ng;
            for (auto& p : m.named_parameters())
              if (peft::is_peft_parameter(p.key())) p.value().uniform_(0.5, 1.5);
          }};
}
template <>
testing::law_case<peft::loha> law_case_of() {
  return {.policy = peft::loha{}.r(4).alpha(8), .config = small(), .how = {.spread = 0}};
}
template <>
testing::law_case<peft::lokr> law_case_of() {
  return {.policy = peft::lokr{}.r(2).target_modules(all_linear), .config = small(), .how = {.spread = 0}};
}
template <>
testing::law_case<peft::vera> law_case_of() {
  return {.policy = peft::vera{}.r(8).target_modules(all_linear),
          .config = small(),
          .how = {.spread = 0},
          .perturb = [](torch::nn::Module& m) { perturb_peft(m, 0.5); }};
}
template <>
testing::law_case<peft::bitfit> law_case_of() {
  return {.config = small(), .how = {.lr = 0.05, .steps = 300, .spread = 0}};
}
template <>
testing::law_case<peft::ln_tuning> law_case_of() {
  return {.config = small(), .how = {.lr = 0.03, .steps = 200, .spread = 0}};
}
template <>
testing::law_case<peft::serial_adapter> law_case_of() {
  return {.policy = peft::serial_adapter{}.bottleneck_size(4),
          .config = testing::small_encoder({.layers = 3, .positions = 40}),
          .how = {.beats_head = false}};
}
template <>
testing::law_case<peft::parallel_adapter> law_case_of() {
  return {.policy = peft::parallel_adapter{}.bottleneck_size(4),
          .config = testing::small_encoder({.layers = 3, .positions = 40}),
          .how = {.beats_head = false}};
}
template <>
testing::law_case<peft::prompt_tuning> law_case_of() {
  return {.policy = peft::prompt_tuning{}.num_virtual_tokens(4),
          .how = {.lr = 3e-2, .steps = 120, .fall = 0.7, .beats_head = false}};
}
template <>
testing::law_case<peft::prefix_tuning> law_case_of() {
  return {.policy = peft::prefix_tuning{}.num_virtual_tokens(4),
          .how = {.lr = 3e-2, .steps = 120, .fall = 0.7, .beats_head = false}};
}
template <>
testing::law_case<peft::compacter> law_case_of() {
  return {.policy = peft::compacter{}.bottleneck_size(8)};
}
template <>
testing::law_case<peft::adamix> law_case_of() {
  return {.policy = peft::adamix{}.bottleneck_size(8), .how = {.steps = 150}};
}
template <>
testing::law_case<peft::intrinsic_said> law_case_of() {
  return {.policy = peft::intrinsic_said{}.intrinsic_dim(100)};
}
template <>
testing::law_case<peft::unipelt> law_case_of() {
  return {.policy = peft::unipelt{}.r(2).bottleneck_size(4).num_virtual_tokens(0)};
}

}  // namespace

TEMPLATE_TEST_CASE("policy laws: identity at init, gradients only to PEFT, the loss falls, counts, exact merge",
                   "[peft][laws]", peft::lora, peft::ia3, peft::loha, peft::lokr, peft::vera, peft::bitfit,
                   peft::ln_tuning, peft::serial_adapter, peft::parallel_adapter, peft::prompt_tuning,
                   peft::prefix_tuning, peft::compacter, peft::adamix, peft::intrinsic_said, peft::unipelt,
                   testing::uv) {
  testing::check_policy_laws(law_case_of<TestType>());
}

namespace {
// delta_weight_merge.hpp's example, as written there.
class my_site : public torch::nn::Module, public peft::delta_weight_merge<my_site> {
 public:
  torch::Tensor delta_weight() const { return torch::matmul(b, a); }
  torch::Tensor output(const torch::Tensor& x, torch::Tensor y, torch::nn::LinearImpl&) {
    return merged() ? y : y + torch::linear(x, delta_weight());
  }
  torch::Tensor a, b;
};
}  // namespace

TEST_CASE("delta_weight_merge: the header's example site merges and unmerges exactly", "[peft][merge]") {
  torch::manual_seed(0);
  torch::nn::Linear base(6, 4);
  my_site site;
  site.a = torch::randn({2, 6});
  site.b = torch::randn({4, 2});
  const auto x = torch::randn({3, 6});
  const auto weight = base->weight.detach().clone();
  const auto unmerged = site.output(x, base->forward(x), *base);
  site.merge(*base);
  CHECK(site.merged());
  CHECK(torch::allclose(site.output(x, base->forward(x), *base), unmerged, 1e-5, 1e-5));
  site.merge(*base);  // a second merge is a no-op
  CHECK(torch::allclose(site.output(x, base->forward(x), *base), unmerged, 1e-5, 1e-5));
  site.unmerge(*base);
  CHECK_FALSE(site.merged());
  CHECK(torch::allclose(base->weight, weight, 1e-6, 1e-6));
}

// ---------------------------------------------------------------------------------------------
// The headers' examples, as written (scripts/check_snippets.py): each policy they build has a
// closed-form count equal to the built model's.

namespace {
struct MlpImpl : torch::nn::Module {
  autopeft::peft::Linear fc1{nullptr}, fc2{nullptr};
  MlpImpl() {
    fc1 = register_module("fc1", autopeft::peft::Linear(8, 32));
    fc2 = register_module("fc2", autopeft::peft::Linear(32, 1));
  }
  torch::Tensor forward(torch::Tensor x) { return fc2(torch::relu(fc1(x))); }
};
TORCH_MODULE(Mlp);
}  // namespace

TEST_CASE("the policy headers' examples build policies whose counts are the built models'", "[peft][examples]") {
  const auto c = small();
  {
    auto p = peft::lora{}.r(8).lora_alpha(16).target_modules({"query", "value"});
    auto dora = peft::lora{}.r(4).use_dora(true).target_modules({"query", "key", "value"});
    auto per_site = peft::lora{}.r(8).rank_pattern({{"encoder.layer.0.attention.self.query", 0}});
    check_count(p, c);
    check_count(dora, c);
    check_count(per_site, c);
    CHECK(p.trainable_parameters(EncoderConfig::bert_base()) == 294'912);  // HF PEFT's documented figure
    CHECK(per_site.trainable_parameters(c) < peft::lora{}.r(8).trainable_parameters(c));
  }
  {
    auto p = peft::loha{}.r(8).alpha(16).target_modules({"query", "value"});
    check_count(p, c);
  }
  {
    auto p = peft::lokr{}.r(8).target_modules({"query", "value"});
    auto q = peft::lokr{}.r(4).decompose_both(true).decompose_factor(8)
                         .target_modules({"intermediate.dense", "output.dense"});
    check_count(p, c);
    check_count(q, c);
  }
  {
    auto p = peft::vera{}.r(256).target_modules({"query", "value"}).projection_prng_key(0);
    check_count(p, c);
  }
  {
    auto p = peft::adamix{}.num_experts(4).bottleneck_size(16);
    check_count(p, c);
  }
  {
    auto pa = peft::parallel_adapter{}.bottleneck_size(96).scaling(4.0);
    auto sa = peft::serial_adapter{}.bottleneck_size(48).placement(peft::serial_adapter::pfeiffer);
    check_count(pa, c);
    check_count(sa, c);
  }
  {
    auto p = peft::prefix_tuning{}.num_virtual_tokens(20).prefix_projection(true).encoder_hidden_size(800);
    check_count(p, c);
    CHECK(peft::stored_parameters_of(p, c) < p.trainable_parameters(c));  // the MLP is not stored
  }
  {
    auto p = peft::prompt_tuning{}.num_virtual_tokens(20);
    check_count(p, c);
  }
  {
    auto p = peft::unipelt{}.r(8).lora_alpha(16).num_virtual_tokens(10).bottleneck_size(48);
    check_count(p, c);
  }
  {
    const auto& config = c;
    model::SequenceClassifier<peft::plan<peft::bitfit>> m(config, peft::plan<peft::bitfit>{});
    check_count(peft::bitfit{}, c);
    CHECK(m->peft().trainable_parameters(config) > 0);
  }
  {
    Mlp mlp;
    CHECK(mlp->forward(torch::randn({2, 8})).sizes() == torch::IntArrayRef{2, 1});
    CHECK(peft::inject(*mlp, peft::lora{}.r(2).target_modules({"fc1", "fc2"})).trainable_parameters ==
          2 * (8 + 32) + 2 * (32 + 1));
  }
}
