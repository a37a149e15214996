// Laws shared by (IA)³, LoHa, LoKr, VeRA, BitFit and LayerNorm tuning: a freshly initialised module
// leaves the backbone unchanged; gradients reach only PEFT parameters and the head; the policy
// learns a toy task; the closed-form count equals the built model's and HF PEFT's; merging and
// unmerging are exact.
#include <autopeft/model.hpp>
#include <autopeft/peft/bitfit.hpp>
#include <autopeft/peft/ia3.hpp>
#include <autopeft/peft/ln_tuning.hpp>
#include <autopeft/peft/loha.hpp>
#include <autopeft/peft/lokr.hpp>
#include <autopeft/peft/plan.hpp>
#include <autopeft/peft/trainable.hpp>
#include <autopeft/peft/vera.hpp>

#include "../support/small_encoder.hpp"

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

template <class P>
using classifier = model::SequenceClassifier<peft::plan<P>>;

double max_diff(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<double>(); }

std::int64_t peft_parameters(torch::nn::Module& m) {
  std::int64_t n = 0;
  for (auto& p : m.named_parameters())
    if (peft::is_peft_parameter(p.key())) n += p.value().numel();
  return n;
}

/// A backbone whose biases and LayerNorms are not at their defaults, so that a module that
/// ignores or re-initialises them is caught.
model::SequenceClassifier<> base_model(const EncoderConfig& c) {
  model::SequenceClassifier<> base(c);
  torch::NoGradGuard ng;
  for (auto& p : base->named_parameters())
    if (p.key().find("bias") != std::string::npos || p.key().find("LayerNorm") != std::string::npos)
      p.value().add_(0.1 * torch::randn_like(p.value()));
  base->eval();
  return base;
}

/// A model with `policy` on a copy of `base`'s weights; the PEFT modules are rebuilt on them.
template <class P>
classifier<P> copy_of(model::SequenceClassifier<>& base, const P& policy) {
  const peft::plan<P> plan{policy};
  classifier<P> m(base->config(), plan);
  torch::NoGradGuard ng;
  auto src = base->named_parameters();
  for (auto& p : m->named_parameters())
    if (src.contains(p.key())) p.value().copy_(src[p.key()]);
  m->reset_peft(plan);
  m->eval();
  return m;
}

void perturb_peft(torch::nn::Module& m, double scale = 0.5) {
  torch::NoGradGuard ng;
  for (auto& p : m.named_parameters())
    if (peft::is_peft_parameter(p.key())) p.value().add_(scale * torch::randn_like(p.value()));
}

/// Law (a): at its default initialisation the policy leaves the backbone's output unchanged, and
/// a perturbed module does change it.
template <class P>
void check_identity_at_init(const P& policy) {
  torch::manual_seed(11);
  auto base = base_model(small());
  auto m = copy_of(base, policy);
  REQUIRE(peft_parameters(*m) > 0);
  torch::NoGradGuard ng;
  auto ids = torch::randint(1, small().vocab_size, {3, 7}, torch::kLong);
  auto expected = base->backbone->forward(ids).last_hidden_state;
  CHECK(max_diff(m->backbone->forward(ids).last_hidden_state, expected) < 1e-6);
  CHECK(max_diff(m->forward(ids), base->forward(ids)) < 1e-6);
  perturb_peft(*m);
  CHECK(max_diff(m->backbone->forward(ids).last_hidden_state, expected) > 1e-3);
}

/// Laws (b) and (c): after mark_trainable, one backward reaches exactly the PEFT parameters and
/// the head; and training them on the toy task of test_lora.cpp makes the loss fall, below half
/// its start and below what the head alone reaches from the same weights in the same steps.
template <class P>
void check_learns(const P& policy, double lr, int steps) {
  torch::manual_seed(2);
  auto c = small();
  model::SequenceClassifier<> head_only(c);
  auto m = copy_of(head_only, policy);
  const auto counts = peft::mark_trainable(m);
  CHECK(counts.trainable == policy.trainable_parameters(c) + c.hidden_size * c.num_labels + c.num_labels);
  for (auto& p : head_only->named_parameters()) p.value().set_requires_grad(!peft::is_backbone_parameter(p.key()));
  auto ids = torch::randint(6, c.vocab_size, {32, 6}, torch::kLong);
  auto labels = torch::randint(0, 2, {32}, torch::kLong);
  ids.index_put_({labels.to(torch::kBool), 2}, 5);
  auto train = [&](auto& net, bool check_gradients) {
    net->train();
    std::vector<torch::Tensor> trainable;
    for (auto& p : net->parameters())
      if (p.requires_grad()) trainable.push_back(p);
    torch::optim::AdamW opt(trainable, torch::optim::AdamWOptions(lr));
    double first = 0, last = 0;
    for (int step = 0; step < steps; ++step) {
      auto loss = net->loss(net->forward(ids), labels);
      opt.zero_grad();
      loss.backward();
      if (step == 0 && check_gradients)
        for (auto& p : net->named_parameters()) {
          INFO(p.key());
          const bool peft_or_head = peft::is_peft_parameter(p.key()) || p.key().rfind("classifier", 0) == 0;
          CHECK(p.value().grad().defined() == peft_or_head);
        }
      opt.step();
      (step == 0 ? first : last) = loss.template item<double>();
    }
    return std::pair{first, last};
  };
  const auto [first, last] = train(m, true);
  const auto head = train(head_only, false).second;
  INFO("first loss " << first << ", last loss " << last << ", head alone " << head);
  CHECK(last < 0.5 * first);
  CHECK(last < head);
}

/// Law (d): the closed form equals the number of PEFT parameters in a built model.
template <class P>
void check_count(const P& policy, const EncoderConfig& c) {
  classifier<P> m(c, peft::plan<P>{policy});
  const auto built = peft_parameters(*m);
  CHECK(built > 0);
  CHECK(policy.trainable_parameters(c) == built);
}

/// Law (e): merged equals unmerged, and unmerging restores the base weights.
template <class P>
void check_merge(const P& policy, const std::function<void(torch::nn::Module&)>& perturb) {
  torch::manual_seed(5);
  auto base = base_model(small());
  auto m = copy_of(base, policy);
  perturb(*m);
  torch::NoGradGuard ng;
  auto ids = torch::randint(1, small().vocab_size, {3, 7}, torch::kLong);
  auto unmerged = m->backbone->forward(ids).last_hidden_state;
  REQUIRE(max_diff(unmerged, base->backbone->forward(ids).last_hidden_state) > 1e-3);
  auto each_site = [&](auto f) {
    for (auto& layer : m->backbone->layers)
      if (auto mod = layer->hooks().template module<P>())
        mod->for_each([&](model::site s, auto& site) { f(site, *layer->linear(s)); });
  };
  each_site([](auto& site, torch::nn::LinearImpl& lin) { site.merge(lin); });
  each_site([](auto& site, torch::nn::LinearImpl&) { CHECK(site.merged()); });
  CHECK(max_diff(m->backbone->forward(ids).last_hidden_state, unmerged) < 1e-5);
  each_site([](auto& site, torch::nn::LinearImpl& lin) { site.unmerge(lin); });
  CHECK(max_diff(m->backbone->forward(ids).last_hidden_state, unmerged) < 1e-5);
  auto original = base->named_parameters();
  for (auto& p : m->named_parameters())
    if (original.contains(p.key())) {
      INFO(p.key());
      CHECK(max_diff(p.value(), original[p.key()]) < 1e-5);
    }
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
  check_identity_at_init(peft::ia3{});
  check_identity_at_init(peft::ia3{}.target_modules(all_linear).feedforward_modules({"intermediate.dense"}));
}

TEST_CASE("IA3: gradients reach only ia3_l and the head, and the loss falls", "[peft][ia3]") {
  check_learns(peft::ia3{}, 0.1, 200);
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
  check_count(peft::ia3{}, small());
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
  check_merge(peft::ia3{}, scale);
  check_merge(peft::ia3{}.target_modules(all_linear).feedforward_modules({"intermediate.dense"}), scale);
}

// ---------------------------------------------------------------------------------------------
// LoHa

TEST_CASE("LoHa: zero w2_b leaves the backbone unchanged", "[peft][loha]") {
  check_identity_at_init(peft::loha{}.r(4));
  check_identity_at_init(peft::loha{}.r(2).alpha(4).target_modules(all_linear));
}

TEST_CASE("LoHa: gradients reach only the hada factors and the head, and the loss falls", "[peft][loha]") {
  check_learns(peft::loha{}.r(4).alpha(8), 1e-2, 80);
}

TEST_CASE("LoHa: closed-form count equals the built model's and HF PEFT's", "[peft][loha]") {
  check_count(peft::loha{}.r(4), small());
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

TEST_CASE("LoKr: gradients reach only the lokr factors and the head, and the loss falls", "[peft][lokr]") {
  check_learns(peft::lokr{}.r(2).alpha(8).target_modules(all_linear), 1e-2, 80);
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
  check_merge(peft::lokr{}.r(2).target_modules(all_linear), [](torch::nn::Module& m) { perturb_peft(m, 0.3); });
  check_merge(peft::lokr{}.r(1).decompose_both(true).target_modules(all_linear),
              [](torch::nn::Module& m) { perturb_peft(m, 0.3); });
}

// ---------------------------------------------------------------------------------------------
// VeRA

TEST_CASE("VeRA: zero lambda_b leaves the backbone unchanged", "[peft][vera]") {
  check_identity_at_init(peft::vera{}.r(8));
  check_identity_at_init(peft::vera{}.r(4).target_modules(all_linear));
}

TEST_CASE("VeRA: gradients reach only the lambdas and the head, and the loss falls", "[peft][vera]") {
  check_learns(peft::vera{}.r(8).target_modules(all_linear), 1e-2, 80);
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

TEST_CASE("VeRA: merge and unmerge are exact", "[peft][vera]") {
  check_merge(peft::vera{}.r(8).target_modules(all_linear), [](torch::nn::Module& m) { perturb_peft(m, 0.5); });
}

// ---------------------------------------------------------------------------------------------
// BitFit

TEST_CASE("BitFit: zero bias deltas leave the backbone unchanged", "[peft][bitfit]") {
  check_identity_at_init(peft::bitfit{});
}

TEST_CASE("BitFit: gradients reach only the bias deltas and the head, and the loss falls", "[peft][bitfit]") {
  check_learns(peft::bitfit{}, 0.05, 300);
}

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
  check_identity_at_init(peft::ln_tuning{});
  check_identity_at_init(peft::ln_tuning{}.target_modules({"attention.output.LayerNorm"}));
}

TEST_CASE("LN tuning: gradients reach only the copies and the head, and the loss falls", "[peft][ln_tuning]") {
  check_learns(peft::ln_tuning{}, 0.03, 200);
}

TEST_CASE("LN tuning: closed-form count equals the built model's and HF PEFT's", "[peft][ln_tuning]") {
  check_count(peft::ln_tuning{}, small());
  check_count(peft::ln_tuning{}.target_modules({"output.LayerNorm"}), wide());  // both layer LNs, as in HF
  check_count(peft::ln_tuning{}.target_modules({"embeddings.LayerNorm"}), wide());
  check_count(peft::ln_tuning{}.target_modules({"encoder.layer.1.output.LayerNorm"}), wide());
  CHECK(peft::ln_tuning{}.target_modules({"output.LayerNorm"}).trainable_parameters(wide()) == 3 * 2 * 2 * 24);
  // LNTuningConfig(target_modules=["LayerNorm"]) on bert-base: (1 + 12 · 2) LayerNorms · 2 · 768 = 38,400.
  CHECK(peft::ln_tuning{}.trainable_parameters(EncoderConfig::bert_base()) == 38'400);
}
