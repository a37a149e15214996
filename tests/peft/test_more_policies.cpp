// Laws and method checks of Compacter, AdaMix, Intrinsic SAID, UniPELT and top-k layer tuning: identity at
// initialisation (where the method has one); gradients reach only PEFT parameters and the head;
// the policy learns the toy task better than the head alone; the closed-form count equals the
// built model's; and one check of each method's own mathematics against an independent oracle.
#include <autopeft/model.hpp>
#include <autopeft/peft/adamix.hpp>
#include <autopeft/peft/compacter.hpp>
#include <autopeft/peft/intrinsic_said.hpp>
#include <autopeft/peft/merge_and_unload.hpp>
#include <autopeft/peft/plan.hpp>
#include <autopeft/peft/top_k_layer_tuning.hpp>
#include <autopeft/peft/trainable.hpp>
#include <autopeft/peft/unipelt.hpp>

#include "../support/policy_laws.hpp"
#include "../support/small_encoder.hpp"

#include <cmath>
#include <limits>
#include <set>

using namespace autopeft;
using model::EncoderConfig;

namespace {

EncoderConfig small() { return testing::small_encoder({.positions = 40}); }

EncoderConfig wide() {
  auto c = small();
  c.hidden_size = 24;
  c.num_hidden_layers = 3;
  c.num_attention_heads = 3;
  c.intermediate_size = 40;
  return c;
}

using testing::base_model, testing::check_count, testing::copy_of, testing::max_diff, testing::peft_parameters,
    testing::perturb_peft;
template <class P>
using classifier = testing::classifier<P>;

// The laws of tests/support/policy_laws.hpp on small(), with a frozen backbone of wide spread.
template <class P>
void check_identity_at_init(const P& policy) {
  testing::check_identity_at_init(policy, small());
}
template <class P>
void check_learns(const P& policy, double lr, int steps) {
  testing::check_learns(policy, small(), {.lr = lr, .steps = steps});
}

/// The explicit Sylvester–Hadamard matrix, H_ij = (−1)^{popcount(i & j)}.
torch::Tensor hadamard(std::int64_t n) {
  auto h = torch::empty({n, n});
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < n; ++j) h[i][j] = __builtin_popcountll(static_cast<unsigned long long>(i & j)) % 2 ? -1.0 : 1.0;
  return h;
}

}  // namespace

TEST_CASE("the four policies model peft::policy", "[peft][compacter][adamix][said][unipelt]") {
  STATIC_REQUIRE(peft::policy<peft::compacter>);
  STATIC_REQUIRE(peft::policy<peft::adamix>);
  STATIC_REQUIRE(peft::policy<peft::intrinsic_said>);
  STATIC_REQUIRE(peft::policy<peft::unipelt>);
  STATIC_REQUIRE_FALSE(peft::policy<peft::unipelt_layer>);
}

// ---------------------------------------------------------------------------------------------
// Compacter

TEST_CASE("Compacter: zero up factors leave the backbone unchanged", "[peft][compacter]") {
  check_identity_at_init(peft::compacter{}.bottleneck_size(4));
  check_identity_at_init(peft::compacter{}.placement(peft::compacter::houlsby).phm_dim(2).phm_rank(2).bottleneck_size(8));
}

TEST_CASE("Compacter: gradients reach only PHM factors, the shared rule and the head; it learns", "[peft][compacter]") {
  check_learns(peft::compacter{}.placement(peft::compacter::houlsby).phm_dim(2).bottleneck_size(4), 1e-2, 80);
}

TEST_CASE("Compacter: a PHM weight is the sum of Kronecker products with the shared rule", "[peft][compacter]") {
  torch::manual_seed(4);
  const auto p = peft::compacter{}.placement(peft::compacter::houlsby).phm_dim(4).phm_rank(2).bottleneck_size(8);
  classifier<peft::compacter> m(small(), peft::plan<peft::compacter>{p});
  perturb_peft(*m);
  auto named = m->named_parameters();
  const auto rule = named["bert.embeddings.peft.compacter.phm_rule"];
  REQUIRE(rule.sizes() == torch::IntArrayRef{4, 4, 4});
  // A exists once: no other parameter holds an [n, n, n] rule.
  for (auto& q : named)
    if (q.key().find("phm_rule") != std::string::npos) CHECK(q.key() == "bert.embeddings.peft.compacter.phm_rule");
  for (auto& layer : m->backbone->layers) {
    auto mod = layer->hooks().module<peft::compacter>();
    REQUIRE(mod);
    for (auto* phm : {mod->attention->down.get(), mod->attention->up.get(), mod->output->down.get(), mod->output->up.get()}) {
      CHECK(phm->shared().phm_rule.data_ptr() == rule.data_ptr());
      torch::NoGradGuard ng;
      torch::Tensor expected;
      for (std::int64_t i = 0; i < 4; ++i) {
        auto b_i = torch::matmul(phm->W_left[i], phm->W_right[i]);  // s_i t_i, rank 2
        auto term = torch::kron(rule[i], b_i);
        expected = expected.defined() ? expected + term : term;
      }
      CHECK(max_diff(phm->weight(), expected) < 1e-5);
      auto x = torch::randn({3, 5, expected.size(0)});
      CHECK(max_diff(phm->forward(x), torch::matmul(x, expected) + phm->b) < 1e-5);
    }
  }
}

TEST_CASE("Compacter: closed-form count equals the built model's", "[peft][compacter]") {
  check_count(peft::compacter{}.bottleneck_size(4), small());
  check_count(peft::compacter{}.placement(peft::compacter::houlsby).phm_dim(2).phm_rank(3).bottleneck_size(6), small());
  check_count(peft::compacter{}.phm_dim(8).reduction_factor(3), wide());
  check_count(peft::compacter{}.placement(peft::compacter::houlsby).phm_dim(4).bottleneck_size(8).layers_to_transform({0, 2}), wide());
  const auto bert = EncoderConfig::bert_base();
  // Compacter++, n = 4, k = 1, b = 768 / 32 = 24: 4³ + 12 · (2 · (768 + 24) + 24 + 768) = 28,576.
  CHECK(peft::compacter{}.trainable_parameters(bert) == 28'576);
  // Compacter: two adapters per layer: 64 + 24 · 2,376 = 57,088.
  CHECK(peft::compacter{}.placement(peft::compacter::houlsby).trainable_parameters(bert) == 57'088);
  CHECK_THROWS_AS(peft::compacter{}.phm_dim(5).trainable_parameters(bert), autopeft::error);
}

// ---------------------------------------------------------------------------------------------
// AdaMix

TEST_CASE("AdaMix: zero up experts leave the backbone unchanged, in training and at inference", "[peft][adamix]") {
  check_identity_at_init(peft::adamix{}.bottleneck_size(4));
  check_identity_at_init(peft::adamix{}.num_experts(2).bottleneck_size(3).non_linearity("gelu"));
}

TEST_CASE("AdaMix: inference uses the averaged experts", "[peft][adamix]") {
  torch::manual_seed(6);
  classifier<peft::adamix> m(small(), peft::plan<peft::adamix>{peft::adamix{}.num_experts(3).bottleneck_size(5).scaling(2.0)});
  perturb_peft(*m);
  m->eval();
  auto mod = m->backbone->layers[1]->hooks().module<peft::adamix>();
  REQUIRE(mod);
  torch::NoGradGuard ng;
  auto h = torch::randn({2, 4, 16});
  // By hand: average each expert tensor, then one bottleneck.
  auto avg = [](const torch::Tensor& t) { return (t[0] + t[1] + t[2]) / 3; };
  auto down = torch::relu(torch::matmul(h, avg(mod->down_weight).t()) + avg(mod->down_bias));
  auto expected = h + 2.0 * (torch::matmul(down, avg(mod->up_weight).t()) + avg(mod->up_bias));
  CHECK(max_diff(mod->after_ffn(h, h), expected) < 1e-5);
  // It is not the output of any single pair of experts.
  auto single = h + 2.0 * (torch::matmul(torch::relu(torch::matmul(h, mod->down_weight[0].t()) + mod->down_bias[0]),
                                         mod->up_weight[0].t()) + mod->up_bias[0]);
  CHECK(max_diff(mod->after_ffn(h, h), single) > 1e-3);
}

TEST_CASE("AdaMix: training routes to random experts, down and up independently", "[peft][adamix]") {
  torch::manual_seed(7);
  classifier<peft::adamix> m(small(), peft::plan<peft::adamix>{peft::adamix{}.num_experts(4).bottleneck_size(4)});
  perturb_peft(*m);
  auto mod = m->backbone->layers[0]->hooks().module<peft::adamix>();
  REQUIRE(mod);
  mod->train();
  CHECK(mod->last_choice() == std::pair<std::int64_t, std::int64_t>{-1, -1});
  std::set<std::int64_t> downs, ups;
  bool unequal = false;
  auto h = torch::randn({2, 3, 16});
  std::set<double> outputs;
  for (int t = 0; t < 40; ++t) {
    torch::NoGradGuard ng;
    auto y = mod->after_ffn(h, h);
    auto [i, j] = mod->last_choice();
    downs.insert(i);
    ups.insert(j);
    unequal = unequal || i != j;
    outputs.insert(y.sum().item<double>());
  }
  CHECK(downs.size() > 1);
  CHECK(ups.size() > 1);
  CHECK(unequal);
  CHECK(outputs.size() > 1);
  // One training step's gradient touches exactly the picked experts' rows.
  auto y = mod->after_ffn(h, h);
  y.pow(2).sum().backward();
  auto [i, j] = mod->last_choice();
  for (std::int64_t e = 0; e < 4; ++e) {
    INFO("expert " << e << ", picked down " << i << ", up " << j);
    CHECK((mod->down_weight.grad()[e].abs().sum().item<double>() > 0) == (e == i));
    CHECK((mod->up_weight.grad()[e].abs().sum().item<double>() > 0) == (e == j));
  }
}

TEST_CASE("AdaMix: closed-form count equals the built model's", "[peft][adamix]") {
  check_count(peft::adamix{}.bottleneck_size(4), small());
  check_count(peft::adamix{}.num_experts(2).bottleneck_size(7), wide());
  check_count(peft::adamix{}.num_experts(5).bottleneck_size(3).layers_to_transform({1}), wide());
  // bert-base, M = 4, b = 16: 12 · 4 · (2 · 768 · 16 + 16 + 768) = 1,217,280.
  CHECK(peft::adamix{}.trainable_parameters(EncoderConfig::bert_base()) == 1'217'280);
  CHECK_THROWS_AS(peft::adamix{}.num_experts(0).trainable_parameters(small()), autopeft::error);
}

// ---------------------------------------------------------------------------------------------
// Intrinsic SAID

TEST_CASE("Intrinsic SAID: the FWHT equals the explicit Hadamard matrix", "[peft][said]") {
  torch::manual_seed(8);
  for (std::int64_t n : {1, 2, 4, 8, 64}) {
    INFO("n = " << n);
    auto x = torch::randn({3, n}, torch::kDouble);
    CHECK(max_diff(peft::fwht(x), torch::matmul(x, hadamard(n).to(torch::kDouble))) < 1e-10);
  }
  // Leading dimensions are kept, and it is differentiable: the gradient of sum(H x) is H 1.
  auto v = torch::randn({2, 2, 16}, torch::TensorOptions().requires_grad(true));
  auto y = peft::fwht(v);
  CHECK(y.sizes() == v.sizes());
  y.sum().backward();
  CHECK(max_diff(v.grad()[1][0], hadamard(16).sum(0)) < 1e-5);
  CHECK_THROWS_AS(peft::fwht(torch::randn({6})), autopeft::error);
}

TEST_CASE("Intrinsic SAID: Fastfood equals its dense matrix, built column by column", "[peft][said]") {
  for (auto [d, D] : std::vector<std::pair<std::int64_t, std::int64_t>>{{5, 12}, {3, 16}, {20, 6}}) {
    INFO("d = " << d << ", D = " << D);
    peft::fastfood_projection p(d, D, 42);
    const auto n = p.padded_size();
    CHECK(n == peft::next_power_of_two(std::max(d, D)));
    const auto h = hadamard(n).to(torch::kDouble);
    const auto b = p.B.to(torch::kDouble), g = p.G.to(torch::kDouble);
    const double scale = 1.0 / (std::sqrt(static_cast<double>(n) * g.pow(2).sum().item<double>()) *
                                std::sqrt(static_cast<double>(D) / static_cast<double>(n)));
    // Column j of the dense map is the image of e_j under S_D H G Π H B, S_D the first D rows.
    auto dense = torch::zeros({D, d}, torch::kDouble);
    for (std::int64_t j = 0; j < d; ++j) {
      auto e = torch::zeros({n}, torch::kDouble);
      e[j] = 1.0;
      auto col = torch::matmul(h, e * b);
      auto permuted = torch::empty_like(col);
      for (std::int64_t k = 0; k < n; ++k) permuted[k] = col[p.Pi[k].item<std::int64_t>()];
      col = torch::matmul(h, permuted * g);
      dense.select(1, j).copy_(col.narrow(0, 0, D) * scale);
    }
    torch::manual_seed(9);
    auto theta = torch::randn({d});
    CHECK(max_diff(p.forward(theta).to(torch::kDouble), torch::matmul(dense, theta.to(torch::kDouble))) < 1e-4);
    // B is a ±1 diagonal and Π a permutation.
    CHECK(torch::all(p.B.abs() == 1).item<bool>());
    CHECK(torch::equal(std::get<0>(p.Pi.sort()), torch::arange(n, torch::kLong)));
  }
}

TEST_CASE("Intrinsic SAID: projections are fixed by the seed and differ across tensors", "[peft][said]") {
  peft::fastfood_projection a(7, 30, 3), b(7, 30, 3), c(7, 30, 4);
  CHECK(torch::equal(a.B, b.B));
  CHECK(torch::equal(a.Pi, b.Pi));
  CHECK(torch::equal(a.G, b.G));
  CHECK_FALSE(torch::equal(a.G, c.G));
  auto theta = torch::randn({7});
  CHECK(torch::equal(a.forward(theta), b.forward(theta)));
  // Two models from one policy hold the same buffers, whatever the global RNG did in between;
  // another projection_seed gives others.
  const auto policy = peft::intrinsic_said{}.intrinsic_dim(12);
  auto buffers = [](const peft::intrinsic_said& p, int global_seed) {
    torch::manual_seed(global_seed);
    classifier<peft::intrinsic_said> m(small(), peft::plan<peft::intrinsic_said>{p});
    return m->named_buffers();
  };
  auto x = buffers(policy, 1), y = buffers(policy, 2), z = buffers(peft::intrinsic_said{policy}.projection_seed(5), 1);
  const std::string k = "bert.encoder.layer.1.peft.intrinsic_said.value.weight_projection.G";
  REQUIRE(x.contains(k));
  CHECK(torch::equal(x[k], y[k]));
  CHECK_FALSE(torch::equal(x[k], z[k]));
  CHECK_FALSE(torch::equal(x[k].narrow(0, 0, 256), x["bert.encoder.layer.1.peft.intrinsic_said.key.weight_projection.G"].narrow(0, 0, 256)));
}

TEST_CASE("Intrinsic SAID: zero θ_d leaves the backbone unchanged", "[peft][said]") {
  check_identity_at_init(peft::intrinsic_said{}.intrinsic_dim(20));
  check_identity_at_init(peft::intrinsic_said{}.intrinsic_dim(1000).said(false).project_bias(false).target_modules({"query"}));
}

TEST_CASE("Intrinsic SAID: the model equals the backbone with θ₀ + λ P(θ_d) written in", "[peft][said]") {
  torch::manual_seed(10);
  auto base = base_model(small());
  auto m = copy_of(base, peft::intrinsic_said{}.intrinsic_dim(30));
  perturb_peft(*m, 0.3);
  torch::NoGradGuard ng;
  auto ids = torch::randint(1, small().vocab_size, {2, 6}, torch::kLong);
  auto with = m->backbone->forward(ids).last_hidden_state;
  for (std::size_t l = 0; l < m->backbone->layers.size(); ++l) {
    auto mod = m->backbone->layers[l]->hooks().module<peft::intrinsic_said>();
    mod->for_each([&](model::site s, peft::intrinsic_said_site& site) {
      auto& lin = base->backbone->layers[l]->linear(s);
      lin->weight.add_(site.delta_weight());
      lin->bias.add_(site.delta_bias());
    });
  }
  CHECK(max_diff(with, base->backbone->forward(ids).last_hidden_state) < 1e-4);
  CHECK(max_diff(with, m->backbone->forward(ids).last_hidden_state) == 0);  // the model's own base is untouched
}

TEST_CASE("Intrinsic SAID: closed-form count equals the built model's", "[peft][said]") {
  check_count(peft::intrinsic_said{}, small());
  check_count(peft::intrinsic_said{}.intrinsic_dim(50).said(false), small());
  check_count(peft::intrinsic_said{}.intrinsic_dim(7).project_bias(false).target_modules({"query", "value"}), wide());
  check_count(peft::intrinsic_said{}.intrinsic_dim(9).layers_to_transform({1}), wide());
  const auto bert = EncoderConfig::bert_base();
  // d = 200 plus one λ per weight and bias of the 72 linear layers: 200 + 144 = 344.
  CHECK(peft::intrinsic_said{}.trainable_parameters(bert) == 344);
  CHECK(peft::intrinsic_said{}.intrinsic_dim(1000).said(false).trainable_parameters(bert) == 1000);
}

// ---------------------------------------------------------------------------------------------
// UniPELT

TEST_CASE("UniPELT: without a prefix, zero LoRA B and adapter up leave the backbone unchanged", "[peft][unipelt]") {
  check_identity_at_init(peft::unipelt{}.r(2).bottleneck_size(4).num_virtual_tokens(0));
  // With a prefix it is not an identity (documented): the prefix takes attention from the start.
  torch::manual_seed(12);
  auto base = base_model(small());
  auto m = copy_of(base, peft::unipelt{}.r(2).bottleneck_size(4).num_virtual_tokens(3));
  torch::NoGradGuard ng;
  auto ids = torch::randint(1, small().vocab_size, {2, 5}, torch::kLong);
  CHECK(max_diff(m->backbone->forward(ids).last_hidden_state, base->backbone->forward(ids).last_hidden_state) > 1e-4);
}

TEST_CASE("UniPELT: gradients reach only its components, gates and the head; it learns", "[peft][unipelt]") {
  check_learns(peft::unipelt{}.r(2).bottleneck_size(4).num_virtual_tokens(3), 1e-2, 80);
}

TEST_CASE("UniPELT: gates lie in (0, 1), and a closed gate removes its component", "[peft][unipelt]") {
  torch::manual_seed(13);
  auto base = base_model(small());
  const auto policy = peft::unipelt{}.r(2).bottleneck_size(4).num_virtual_tokens(3);
  auto m = copy_of(base, policy);
  perturb_peft(*m);
  auto ids = torch::randint(1, small().vocab_size, {2, 5}, torch::kLong);
  torch::NoGradGuard ng;
  auto x = torch::randn({2, 5, 16}) * 3;
  for (auto& layer : m->backbone->layers) {
    auto mod = layer->hooks().module<peft::unipelt>();
    REQUIRE(mod);
    for (auto* g : {&mod->gate_lora, &mod->gate_adapter, &mod->gate_prefix}) {
      auto s = torch::sigmoid((*g)->forward(x));
      CHECK(s.min().item<double>() > 0);
      CHECK(s.max().item<double>() < 1);
    }
  }
  auto output = [&](auto& net) { return net->backbone->forward(ids).last_hidden_state; };
  const auto all = output(m);
  const double inf = std::numeric_limits<double>::infinity();
  // Closing a gate equals zeroing its component (and differs from the open model).
  auto closed = [&](auto gate, auto zero) {
    auto a = copy_of(base, policy), b = copy_of(base, policy);
    auto src = m->named_parameters();
    for (auto* net : {&a, &b})
      for (auto& p : (*net)->named_parameters()) p.value().copy_(src[p.key()]);
    for (std::size_t l = 0; l < m->backbone->layers.size(); ++l) {
      gate(*a->backbone->layers[l]->hooks().template module<peft::unipelt>()).fill_(-inf);
      zero(*b->backbone->layers[l]->hooks().template module<peft::unipelt>());
    }
    auto oa = output(a);
    CHECK(max_diff(oa, all) > 1e-4);
    return max_diff(oa, output(b));
  };
  CHECK(closed([](peft::unipelt_layer& u) { return u.gate_lora->bias; },
               [](peft::unipelt_layer& u) { u.query->lora_B->weight.zero_(), u.value->lora_B->weight.zero_(); }) < 1e-5);
  CHECK(closed([](peft::unipelt_layer& u) { return u.gate_adapter->bias; },
               [](peft::unipelt_layer& u) { u.adapter->up->weight.zero_(), u.adapter->up->bias.zero_(); }) < 1e-5);
  // The prefix gate scales the prefix keys and values: closed, they are zero (zero keys still
  // take softmax mass, so this equals a zero prefix, not the absence of one).
  {
    auto a = copy_of(base, policy);
    auto src = m->named_parameters();
    for (auto& p : a->named_parameters()) p.value().copy_(src[p.key()]);
    for (auto& layer : a->backbone->layers) layer->hooks().module<peft::unipelt>()->gate_prefix->bias.fill_(-inf);
    auto closed_gate = output(a);
    CHECK(max_diff(closed_gate, all) > 1e-4);
    a->named_parameters()["bert.embeddings.peft.unipelt.embedding.weight"].zero_();
    for (auto& layer : a->backbone->layers) layer->hooks().module<peft::unipelt>()->gate_prefix->bias.zero_();
    CHECK(max_diff(closed_gate, output(a)) < 1e-5);
  }
}

TEST_CASE("UniPELT: closed-form count equals the built model's", "[peft][unipelt]") {
  check_count(peft::unipelt{}.r(2).bottleneck_size(4).num_virtual_tokens(3), small());
  check_count(peft::unipelt{}.r(4).bottleneck_size(6).num_virtual_tokens(0), wide());
  check_count(peft::unipelt{}.r(3).bottleneck_size(5).num_virtual_tokens(2).prefix_projection(true).encoder_hidden_size(7), wide());
  check_count(peft::unipelt{}.r(1).bottleneck_size(2).num_virtual_tokens(4).layers_to_transform({0, 2}), wide());
  const auto bert = EncoderConfig::bert_base();
  // r 8 on query and value (24,576 per layer), adapter b = 48 (74,544), three gates (2,307), and a
  // prefix of 10 tokens without reparametrisation (10 · 2 · 12 · 768 = 184,320):
  // 12 · (24,576 + 74,544 + 2,307) + 184,320 = 1,401,444.
  CHECK(peft::unipelt{}.trainable_parameters(bert) == 1'401'444);
  // The paper's reparametrised prefix trains an MLP, which is not stored: the prefix is.
  const auto reparametrised = peft::unipelt{}.prefix_projection(true).encoder_hidden_size(512);
  CHECK(reparametrised.stored_parameters(bert) == 1'401'444);
  CHECK(reparametrised.trainable_parameters(bert) ==
        1'401'444 - 184'320 + 10 * 768 + (768 * 512 + 512) + (512 * 2 * 12 * 768 + 2 * 12 * 768));
}

// ---------------------------------------------------------------------------------------------
// Top-k layer tuning

TEST_CASE("top-k layer tuning keeps the policy laws", "[peft][top_k]") {
  STATIC_REQUIRE(peft::sized_policy<peft::top_k_layer_tuning>);
  testing::check_policy_laws(testing::law_case<peft::top_k_layer_tuning>{.policy = peft::top_k_layer_tuning{}.k(2),
                                                                        .config = wide()});
}

TEST_CASE("top-k layer tuning: the count is what requires_grad, in the top k layers only; the rest get no gradient",
          "[peft][top_k]") {
  const auto c = wide();  // 3 layers
  std::int64_t layer_parameters = 0;
  for (const auto& p : model::EncoderLayer<>(c, 0)->parameters()) layer_parameters += p.numel();
  for (std::int64_t k : {0, 1, 2, 3}) {
    INFO("k " << k);
    torch::manual_seed(41);
    const auto top = peft::top_k_layer_tuning{}.k(k);
    classifier<peft::top_k_layer_tuning> m(c, peft::plan<peft::top_k_layer_tuning>{top});
    // k top layers train as many parameters as k layers hold.
    CHECK(top.trainable_parameters(c) == k * layer_parameters);
    const auto counts = peft::mark_trainable(m, /*train_head=*/false);
    CHECK(counts.trainable == top.trainable_parameters(c));
    perturb_peft(*m, 0.1);
    m->train();
    auto ids = torch::randint(1, c.vocab_size, {4, 6}, torch::kLong);
    if (k > 0) m->forward(ids).pow(2).sum().backward();
    std::set<std::string> trained_layers;
    for (const auto& p : m->named_parameters()) {
      INFO(p.key());
      const auto& key = p.key();
      if (peft::is_peft_parameter(key)) {
        // bert.encoder.layer.<i>.peft.top_k_layer_tuning.<delta>
        const auto at = std::string("bert.encoder.layer.").size();
        trained_layers.insert(key.substr(at, key.find('.', at) - at));
        REQUIRE(p.value().grad().defined());
        CHECK(p.value().grad().abs().sum().item<double>() > 0);
      } else {
        CHECK_FALSE(p.value().requires_grad());
        CHECK_FALSE(p.value().grad().defined());
      }
    }
    std::set<std::string> expected;
    for (std::int64_t l = c.num_hidden_layers - k; l < c.num_hidden_layers; ++l) expected.insert(std::to_string(l));
    CHECK(trained_layers == expected);
  }
}

TEST_CASE("top-k layer tuning: bert-base's count is a BERT layer's; merge_and_unload folds the deltas; bad k is named",
          "[peft][top_k]") {
  CHECK(peft::top_k_layer_tuning{}.trainable_parameters(EncoderConfig::bert_base()) == 7'087'872);
  auto top2 = peft::top_k_layer_tuning{}.k(2);   // the two layers next to the head train
  torch::manual_seed(42);
  auto base = base_model(wide());
  auto m = copy_of(base, top2);
  perturb_peft(*m, 0.1);
  auto ids = torch::randint(1, wide().vocab_size, {3, 7}, torch::kLong);
  torch::NoGradGuard ng;
  const auto adapted = m->backbone->forward(ids).last_hidden_state;
  REQUIRE(max_diff(adapted, base->backbone->forward(ids).last_hidden_state) > 1e-3);
  peft::merge_and_unload(*m);
  CHECK(max_diff(m->backbone->forward(ids).last_hidden_state, adapted) < 1e-5);
  CHECK(peft_parameters(*m) == 0);
  try {
    (void)peft::top_k_layer_tuning{}.k(4).trainable_parameters(wide());
    FAIL("k above the number of layers was accepted");
  } catch (const error& e) {
    CHECK_THAT(e.what(), Catch::Contains("option 'k' is 4 but the encoder has 3 layers") &&
                             Catch::Contains("give k between 0"));
  }
}
