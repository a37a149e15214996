#include <autopeft/model.hpp>
#include <autopeft/peft/add_weighted_adapter.hpp>
#include <autopeft/peft/disable_adapter.hpp>
#include <autopeft/peft/lora.hpp>
#include <autopeft/peft/lora_adapter.hpp>
#include <autopeft/peft/loraplus_param_groups.hpp>
#include <autopeft/peft/merge_adapter.hpp>
#include <autopeft/peft/merge_and_unload.hpp>
#include <autopeft/peft/plan.hpp>
#include <autopeft/peft/prompt_tuning.hpp>
#include <autopeft/peft/serial_adapter.hpp>
#include <autopeft/peft/trainable.hpp>
#include <autopeft/peft/unload.hpp>
#include <autopeft/peft/unmerge_adapter.hpp>

#include "../support/policy_laws.hpp"
#include "../support/small_encoder.hpp"

using namespace autopeft;
using model::EncoderConfig;

namespace {
EncoderConfig small() { return testing::small_encoder(); }

/// LoRA and DoRA on every linear site (move them off their initial values with perturb_peft).
peft::lora managed_lora(bool dora) {
  return peft::lora{}.r(4).use_dora(dora).target_modules(
      {"query", "key", "value", "attention.output.dense", "intermediate.dense", "output.dense"});
}

torch::Tensor hidden(auto& model, const torch::Tensor& ids) { return model->backbone->forward(ids).last_hidden_state; }

/// A classifier with `managed_lora(dora)` moved off its initial values, its base and input ids.
struct managed {
  model::SequenceClassifier<> base;
  testing::classifier<peft::lora> model;
  torch::Tensor ids;
  managed(std::uint64_t seed, bool dora)
      : base((torch::manual_seed(seed), testing::base_model(small()))),
        model(testing::copy_of(base, managed_lora(dora))),
        ids(torch::randint(1, small().vocab_size, {3, 7}, torch::kLong)) {
    testing::perturb_peft(*model, 0.3);
  }
};

/// The encoder's base parameters (no `.peft.` component), cloned.
std::map<std::string, torch::Tensor> base_weights(torch::nn::Module& m) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& p : m.named_parameters())
    if (!peft::is_peft_parameter(p.key())) out[p.key()] = p.value().detach().clone();
  return out;
}
}  // namespace

TEST_CASE("LoRA r=8 on query/value of bert-base: HF's documented count", "[peft][lora]") {
  using family = peft::plan<peft::lora>;
  family p{peft::lora{}.r(8).target_modules({"query", "value"})};
  auto c = EncoderConfig::bert_base();
  CHECK(p.trainable_parameters(c) == 294'912);
  model::SequenceClassifier<family> m(c, p);
  auto counts = peft::mark_trainable(m);
  CHECK(counts.trainable == 296'450);
  CHECK(counts.str() == "trainable params: 296,450 || all params: 109,778,690 || trainable%: 0.2700");
}

TEST_CASE("LoRA: zero-initialised B leaves outputs unchanged; merge and unmerge are exact", "[peft][lora]") {
  for (bool dora : {false, true}) {
    INFO("dora " << dora);
    const auto policy = peft::lora{}.r(4).use_dora(dora).target_modules({"query", "value", "output.dense"});
    testing::check_identity_at_init(policy, small());
    // A non-zero update: merged equals unmerged.
    testing::check_merge(policy, small(), [](torch::nn::Module& m) {
      torch::NoGradGuard ng;
      for (auto& p : m.named_parameters())
        if (p.key().find("lora_B") != std::string::npos || p.key().find("magnitude") != std::string::npos)
          p.value().add_(torch::randn_like(p.value()));
    });
  }
}

// LoRA's own learning law is in the law suite (test_linear_policies.cpp).
TEST_CASE("DoRA: gradients reach only its parameters and the head, and the loss falls", "[peft][lora]") {
  testing::check_learns(peft::lora{}.r(4).lora_alpha(8).use_dora(true).target_modules({"query", "value"}), small(),
                        {.beats_head = false});
}

TEST_CASE("merge_and_unload on the encoder keeps the outputs and leaves no PEFT parameter", "[peft][lora][manage]") {
  for (bool dora : {false, true}) {
    INFO("dora " << dora);
    managed m(31, dora);
    torch::NoGradGuard ng;
    const auto adapted = hidden(m.model, m.ids);
    const auto logits = m.model->forward(m.ids);
    REQUIRE(testing::max_diff(adapted, hidden(m.base, m.ids)) > 1e-3);
    peft::merge_and_unload(*m.model);
    CHECK(testing::max_diff(hidden(m.model, m.ids), adapted) < 1e-5);
    CHECK(testing::max_diff(m.model->forward(m.ids), logits) < 1e-5);
    CHECK(testing::peft_parameters(*m.model) == 0);
    CHECK(m.model->parameters().size() == m.base->parameters().size());
  }
}

TEST_CASE("unload on the encoder gives the base model back bit for bit", "[peft][lora][manage]") {
  managed m(32, true);
  torch::NoGradGuard ng;
  REQUIRE(testing::max_diff(hidden(m.model, m.ids), hidden(m.base, m.ids)) > 1e-3);
  peft::unload(*m.model);
  CHECK(torch::equal(hidden(m.model, m.ids), hidden(m.base, m.ids)));
  CHECK(torch::equal(m.model->forward(m.ids), m.base->forward(m.ids)));
  CHECK(testing::peft_parameters(*m.model) == 0);
}

TEST_CASE("merge_adapter then unmerge_adapter on the encoder restores the base weights", "[peft][lora][manage]") {
  for (bool dora : {false, true}) {
    INFO("dora " << dora);
    managed m(33, dora);
    auto& model = m.model;
    const auto& ids = m.ids;
    torch::NoGradGuard ng;
    const auto adapted = model->forward(ids);
    const auto adapted_hidden = hidden(model, ids);
    const auto before = base_weights(*model);
    peft::merge_adapter(*model);     // outputs unchanged, adapters idle
    auto merged = model->forward(ids);
    peft::unmerge_adapter(*model);   // the base weights are the original ones again
    CHECK(testing::max_diff(merged, adapted) < 1e-5);
    CHECK(testing::max_diff(model->forward(ids), adapted) < 1e-5);
    CHECK(testing::max_diff(hidden(model, ids), adapted_hidden) < 1e-5);
    for (const auto& [k, v] : base_weights(*model)) {
      INFO(k);
      CHECK(testing::max_diff(v, before.at(k)) < 1e-5);
    }
  }
}

TEST_CASE("inside disable_adapter the encoder computes the base outputs; gradients flow after it",
          "[peft][lora][manage]") {
  managed m(34, false);
  auto& model = m.model;
  const auto& ids = m.ids;
  const auto expected = m.base->forward(ids).detach();
  const auto adapted = model->forward(ids).detach();
  REQUIRE(testing::max_diff(adapted, expected) > 1e-3);
  torch::Tensor base_logits;
  {
    peft::disable_adapter off(*model);
    base_logits = model->forward(ids);    // the backbone's outputs, no adapter
  }
  auto logits = model->forward(ids);      // adapted again
  CHECK(torch::equal(base_logits, expected));
  CHECK(torch::equal(logits, adapted));
  {
    peft::disable_adapter off(*model);
    model->forward(ids).sum().backward();
  }
  for (const auto& p : model->named_parameters())
    if (peft::is_peft_parameter(p.key())) CHECK_FALSE(p.value().grad().defined());
  logits.sum().backward();
  for (const auto& p : model->named_parameters())
    if (peft::is_peft_parameter(p.key())) {
      INFO(p.key());
      REQUIRE(p.value().grad().defined());
      CHECK(p.value().grad().abs().sum().item<double>() > 0);
    }
  // Model-level modules are switched off too: no virtual tokens are prepended.
  auto prompted = testing::copy_of(m.base, peft::prompt_tuning{}.num_virtual_tokens(3));
  torch::NoGradGuard ng;
  REQUIRE(testing::max_diff(prompted->forward(ids), expected) > 1e-4);
  peft::disable_adapter off(*prompted);
  CHECK(torch::equal(prompted->forward(ids), expected));
}

TEST_CASE("merging an encoder that holds a non-mergeable adapter names it and changes nothing", "[peft][lora][manage]") {
  using mixed = peft::plan<peft::lora, peft::serial_adapter>;
  torch::manual_seed(35);
  model::SequenceClassifier<mixed> model(small(), mixed{managed_lora(false), peft::serial_adapter{}.bottleneck_size(4)});
  const auto before = base_weights(*model);
  const std::string names_it = "adapter 'serial_adapter' at 'bert.encoder.layer.0.peft' cannot be merged";
  CHECK_THROWS_WITH(peft::merge_and_unload(*model), Catch::Contains(names_it) && Catch::Contains("use peft::unload"));
  CHECK_THROWS_WITH(peft::merge_adapter(*model), Catch::Contains(names_it) && Catch::Contains("use peft::unload"));
  for (const auto& [k, v] : base_weights(*model)) {
    INFO(k);
    CHECK(torch::equal(v, before.at(k)));
  }
  CHECK(testing::peft_parameters(*model) > 0);
  // unload drops it all.
  peft::unload(*model);
  CHECK(testing::peft_parameters(*model) == 0);
  CHECK_THROWS_WITH(peft::merge_and_unload(*model::SequenceClassifier<>(small())),
                    Catch::Contains("the module holds no adapters"));
}

namespace {
/// Our LoRA site key -> the base Linear's path inside a layer (HF's names).
const std::vector<std::pair<std::string, std::string>> init_sites{
    {"query", "attention.self.query"}, {"value", "attention.self.value"}, {"intermediate", "intermediate.dense"}};
}  // namespace

TEST_CASE("LoRA initialisations: gaussian, PiSSA and OLoRA leave outputs unchanged; residual + s·BA = W",
          "[peft][lora][lora_init]") {
  const auto c = small();
  for (const std::string init : {"gaussian", "pissa", "olora"}) {
    INFO(init);
    const auto policy = peft::lora{}.r(4).lora_alpha(8).init_lora_weights(init)
                            .target_modules({"query", "value", "intermediate.dense"});
    torch::manual_seed(3);
    auto base = testing::base_model(c);
    auto m = testing::copy_of(base, policy);
    auto ours = m->named_parameters();
    auto theirs = base->named_parameters();
    const double s = 8.0 / 4;
    for (int layer = 0; layer < c.num_hidden_layers; ++layer)
      for (const auto& [key, path] : init_sites) {
        const auto l = "bert.encoder.layer." + std::to_string(layer) + ".";
        INFO(l + path);
        const auto w = theirs[l + path + ".weight"], residual = ours[l + path + ".weight"];
        const auto a = ours[l + "peft.lora." + key + ".lora_A.weight"], b = ours[l + "peft.lora." + key + ".lora_B.weight"];
        CHECK(testing::max_diff(residual + s * torch::matmul(b, a), w) < 1e-5);
        if (init == "gaussian") {
          CHECK(torch::equal(residual, w));
          CHECK(b.abs().max().item<double>() == 0);
        } else {
          CHECK(b.abs().max().item<double>() > 0.01);
        }
        if (init == "olora") {  // B = Q_r: orthonormal columns
          CHECK(testing::max_diff(torch::matmul(b.t(), b), torch::eye(4)) < 1e-5);
        }
        if (init == "pissa") {  // the residual keeps W's singular values after the top r
          const auto sw = torch::linalg::svdvals(w, {}), sr = torch::linalg::svdvals(residual, {});
          CHECK(testing::max_diff(sr.slice(0, 0, sw.size(0) - 4), sw.slice(0, 4)) < 1e-5);
          // s·BA is the best rank-r approximation: B's columns are orthogonal with norms² σ_k / s.
          const auto btb = torch::matmul(b.t(), b);
          CHECK(testing::max_diff(btb, torch::diag(sw.slice(0, 0, 4) / s)) < 1e-5);
        }
      }
    torch::NoGradGuard ng;
    auto ids = torch::randint(1, c.vocab_size, {3, 7}, torch::kLong);
    CHECK(testing::max_diff(m->forward(ids), base->forward(ids)) < 1e-5);
    testing::perturb_peft(*m);
    CHECK(testing::max_diff(m->forward(ids), base->forward(ids)) > 1e-3);
  }
}

TEST_CASE("LoRA initialisations: gaussian draws A with HF's std 1/r; bad names and ranks are refused",
          "[peft][lora][lora_init]") {
  torch::manual_seed(5);
  torch::nn::Linear base(512, 8);
  const auto w = base->weight.clone();
  peft::lora_site site({512, 8, 4, 2.0, 0.0, "gaussian"}, *base);
  const auto a = site.lora_A->weight;
  CHECK(std::abs(a.std().item<double>() - 0.25) < 0.025);
  CHECK(std::abs(a.mean().item<double>()) < 0.02);
  CHECK(site.lora_B->weight.abs().max().item<double>() == 0);
  CHECK(torch::equal(base->weight, w));

  CHECK_THROWS_WITH(peft::lora_init("eva"), Catch::Contains("\"eva\" is not supported") && Catch::Contains("\"olora\""));
  CHECK_THROWS_WITH(peft::lora_site({512, 8, 9, 1.0, 0.0, "pissa"}, *base),
                    Catch::Contains("r <= min(in, out) = 8") && Catch::Contains("r is 9"));
  CHECK(peft::lora_init("pissa").changes_base());
  CHECK(!peft::lora_init("gaussian").changes_base());

  // The header's example.
  auto p = peft::lora{}.r(8).lora_alpha(16).init_lora_weights("pissa").target_modules({"query", "value"});
  auto g = peft::lora{}.r(8).init_lora_weights("gaussian");
  peft::lora_init init = false;
  CHECK(p.init_lora_weights().value() == peft::lora_init::kind::pissa);
  CHECK(g.init_lora_weights().value() == peft::lora_init::kind::gaussian);
  CHECK(init.value() == peft::lora_init::kind::random);
}

TEST_CASE("LoRA+: B and 1-d tensors at lr·ratio, A and the head's matrix at lr, LayerNorm and biases without decay",
          "[peft][lora][loraplus]") {
  using family = peft::plan<peft::lora>;
  model::SequenceClassifier<family> m(small(), family{peft::lora{}.r(4).use_dora(true).target_modules({"query", "value"})});
  peft::mark_trainable(m);
  m->named_parameters()["bert.embeddings.LayerNorm.weight"].set_requires_grad(true);
  const peft::loraplus_param_groups groups(*m, {.lr = 1e-4, .loraplus_lr_ratio = 16, .loraplus_weight_decay = 0.01});
  const auto& g = groups.groups();
  REQUIRE(g.size() == 4);
  CHECK(g[0].name == "groupA");
  CHECK(g[1].name == "embedding");
  CHECK(g[2].name == "groupB");
  CHECK(g[3].name == "groupB_no_decay");
  CHECK(g[0].lr == Approx(1e-4));
  CHECK(g[1].lr == Approx(1e-6));
  CHECK(g[2].lr == Approx(1.6e-3));
  CHECK(g[3].lr == Approx(1.6e-3));
  CHECK(g[0].weight_decay == Approx(0.01));
  CHECK(g[2].weight_decay == Approx(0.01));
  CHECK(g[3].weight_decay == 0);
  auto has = [&](std::size_t i, const std::string& part) {
    for (const auto& n : g[i].names)
      if (n.find(part) != std::string::npos) return true;
    return false;
  };
  auto only = [&](std::size_t i, const std::string& part) {
    for (const auto& n : g[i].names)
      if (n.find(part) == std::string::npos) return false;
    return !g[i].names.empty();
  };
  const std::int64_t sites = 2 * small().num_hidden_layers;
  CHECK(g[0].names.size() == sites + 1);  // every lora_A, and classifier.weight
  CHECK(has(0, "classifier.weight"));
  CHECK(!has(0, "lora_B"));
  CHECK(g[1].names.empty());
  CHECK(g[2].names.size() == 2 * sites);  // lora_B and DoRA's magnitude
  CHECK(has(2, "lora_magnitude_vector"));
  CHECK(!has(2, "lora_A"));
  CHECK(g[3].names == std::vector<std::string>{"bert.embeddings.LayerNorm.weight", "classifier.bias"});
  std::size_t total = 0;
  for (const auto& p : m->parameters()) total += p.requires_grad();
  CHECK(g[0].params.size() + g[2].params.size() + g[3].params.size() == total);
  CHECK(only(2, ".peft.lora."));

  {
    // The header's example: LibTorch's groups, the empty embedding group left out.
    auto& model = m;
    auto groups = peft::loraplus_param_groups(*model, {.lr = 2e-4, .loraplus_lr_ratio = 16});
    torch::optim::AdamW opt(groups.optimizer_groups(torch::optim::AdamWOptions()), torch::optim::AdamWOptions(2e-4));
    REQUIRE(opt.param_groups().size() == 3);
    const auto& a = static_cast<const torch::optim::AdamWOptions&>(opt.param_groups()[0].options());
    const auto& b = static_cast<const torch::optim::AdamWOptions&>(opt.param_groups()[1].options());
    CHECK(a.lr() == Approx(2e-4));
    CHECK(b.lr() == Approx(3.2e-3));
    CHECK(b.weight_decay() == 0);
    CHECK(opt.param_groups()[1].params().size() == groups.groups()[2].params.size());
  }
}

namespace {
/// A LoRA adapter of random tensors at sites "m.<site>" with in 6, out 5.
peft::lora_adapter random_adapter(std::int64_t r, double alpha, const std::vector<std::string>& sites) {
  peft::lora_adapter a{peft::lora{}.r(r).lora_alpha(alpha).target_modules(sites), {}};
  for (const auto& s : sites) {
    a.tensors["m." + s + ".lora_A.weight"] = torch::randn({r, 6});
    a.tensors["m." + s + ".lora_B.weight"] = torch::randn({5, r});
  }
  return a;
}
torch::Tensor product(const peft::lora_adapter& a, const std::string& site) {
  return torch::matmul(a.lora_B("m." + site), a.lora_A("m." + site)) * a.config.scaling(a.lora_A("m." + site).size(0));
}
}  // namespace

TEST_CASE("add_weighted_adapter: cat is exact, svd is exact at full rank and optimal below it", "[peft][lora][weighted]") {
  torch::manual_seed(1);
  const auto a = random_adapter(3, 6, {"q", "v"}), b = random_adapter(2, 8, {"q", "k"});
  const double wa = 0.7, wb = -1.3, sa = 2, sb = 4;
  auto cat = peft::add_weighted_adapter({a, b}, {wa, wb}, {.combination_type = "cat"});
  CHECK(cat.config.r() == 5);
  CHECK(cat.config.scaling() == 1);
  CHECK(cat.config.target_modules().names == std::vector<std::string>{"k", "q", "v"});
  CHECK(testing::max_diff(product(cat, "q"), wa * product(a, "q") + wb * product(b, "q")) < 1e-5);
  CHECK(testing::max_diff(product(cat, "v"), wa * product(a, "v")) < 1e-5);  // b lacks v: zero rows
  CHECK(testing::max_diff(product(cat, "k"), wb * product(b, "k")) < 1e-5);

  // svd weighs each scaled delta by w·s (HF's rule): Σ w_i s_i² B_i A_i.
  const auto q = wa * sa * product(a, "q") + wb * sb * product(b, "q");
  auto full = peft::add_weighted_adapter({a, b}, {wa, wb}, {.combination_type = "svd", .svd_rank = 5});
  CHECK(testing::max_diff(product(full, "q"), q) < 1e-4);
  auto low = peft::add_weighted_adapter({a, b}, {wa, wb});  // HF's default: svd at the largest r, 3
  CHECK(low.config.r() == 3);
  CHECK(low.lora_A("m.q").size(0) == 3);
  const auto sv = torch::linalg::svdvals(q, {});
  const auto best = sv.slice(0, 3).pow(2).sum().sqrt().item<double>();
  CHECK((product(low, "q") - q).pow(2).sum().sqrt().item<double>() == Approx(best).margin(1e-4));
  CHECK(best > 1e-2);
}

TEST_CASE("add_weighted_adapter: linear, TIES, DARE and magnitude pruning", "[peft][lora][weighted]") {
  torch::manual_seed(2);
  const auto a = random_adapter(4, 8, {"q"}), b = random_adapter(4, 4, {"q"});
  const double sa = 2, sb = 1;
  // One adapter at weight 1 is itself.
  auto one = peft::add_weighted_adapter({a}, {1.0}, {.combination_type = "ties"});
  CHECK(testing::max_diff(product(one, "q"), product(a, "q")) < 1e-5);
  CHECK(one.config.r() == 4);

  // linear: A and B merged apart, each with √(w s).
  auto lin = peft::add_weighted_adapter({a, b}, {0.5, 2.0}, {.combination_type = "linear"});
  const auto ra = std::sqrt(0.5 * sa), rb = std::sqrt(2.0 * sb);
  CHECK(testing::max_diff(lin.lora_A("m.q"), ra * a.lora_A("m.q") + rb * b.lora_A("m.q")) < 1e-5);
  CHECK(testing::max_diff(lin.lora_B("m.q"), ra * a.lora_B("m.q") + rb * b.lora_B("m.q")) < 1e-5);
  // A negative weight flips A only.
  auto neg = peft::add_weighted_adapter({a, b}, {-0.5, 2.0}, {.combination_type = "linear"});
  CHECK(testing::max_diff(neg.lora_A("m.q"), -ra * a.lora_A("m.q") + rb * b.lora_A("m.q")) < 1e-5);
  CHECK(testing::max_diff(neg.lora_B("m.q"), lin.lora_B("m.q")) < 1e-6);

  // DARE at density 1 drops nothing: linear; TIES at density 1 is the sign election alone.
  auto dare = peft::add_weighted_adapter({a, b}, {0.5, 2.0}, {.combination_type = "dare_linear", .density = 1.0});
  CHECK(testing::max_diff(dare.lora_A("m.q"), lin.lora_A("m.q")) < 1e-6);
  auto ties = peft::add_weighted_adapter({a, b}, {0.5, 2.0}, {.combination_type = "ties", .density = 1.0});
  const auto ta = a.lora_A("m.q"), tb = b.lora_A("m.q");
  const auto agree = ta.sign() == tb.sign();
  const auto majority = (ta + tb).sign();
  const auto expected = torch::where(agree, (ra * ta + rb * tb) / 2,
                                     torch::where(ta.sign() == majority, ra * ta, rb * tb));
  CHECK(testing::max_diff(ties.lora_A("m.q"), expected) < 1e-6);
  auto dare_ties = peft::add_weighted_adapter({a, b}, {0.5, 2.0}, {.combination_type = "dare_ties", .density = 1.0});
  CHECK(testing::max_diff(dare_ties.lora_A("m.q"), ties.lora_A("m.q")) < 1e-6);

  // Pruning with adapter b at weight 0 shows a's pruned tensor.
  auto pruned = peft::add_weighted_adapter({a, b}, {0.5, 0.0}, {.combination_type = "magnitude_prune", .density = 0.25});
  const auto kept = pruned.lora_A("m.q") != 0;
  CHECK(kept.sum().item<std::int64_t>() == 6);  // ⌊0.25 · 24⌋
  CHECK(ta.abs().masked_select(kept).min().item<double>() >= ta.abs().masked_select(kept.logical_not()).max().item<double>());

  // DARE keeps each value with probability density, rescaled by 1/density, from a seeded generator.
  peft::weighted_adapter_options o{.combination_type = "dare_linear", .density = 0.5, .seed = 7};
  auto d1 = peft::add_weighted_adapter({a, b}, {0.5, 0.0}, o), d2 = peft::add_weighted_adapter({a, b}, {0.5, 0.0}, o);
  CHECK(torch::equal(d1.lora_A("m.q"), d2.lora_A("m.q")));
  o.seed = 8;
  auto d3 = peft::add_weighted_adapter({a, b}, {0.5, 0.0}, o);
  CHECK(!torch::equal(d1.lora_A("m.q"), d3.lora_A("m.q")));
  const auto got = d1.lora_A("m.q"), nz = got != 0;
  CHECK(testing::max_diff(got.masked_select(nz), (2 * ra * ta).masked_select(nz)) < 1e-5);
  const auto frac = nz.to(torch::kFloat32).mean().item<double>();
  CHECK((frac > 0.2 && frac < 0.8));
}

TEST_CASE("add_weighted_adapter: bad input is refused, saying what to change", "[peft][lora][weighted]") {
  torch::manual_seed(3);
  const auto a = random_adapter(4, 8, {"q"}), b = random_adapter(2, 4, {"q"});
  using Catch::Contains;
  CHECK_THROWS_WITH(peft::add_weighted_adapter({a, b}, {1.0, 1.0}, {.combination_type = "mean"}),
                    Contains("unknown combination_type 'mean'") && Contains("dare_ties"));
  CHECK_THROWS_WITH(peft::add_weighted_adapter({a, b}, {1.0, 1.0}, {.combination_type = "linear_svd"}),
                    Contains("unknown combination_type 'linear_svd'"));
  CHECK_THROWS_WITH(peft::add_weighted_adapter({a, b}, {1.0}), Contains("1 weights for 2 adapters"));
  CHECK_THROWS_WITH(peft::add_weighted_adapter({a, b}, {1.0, 1.0}, {.combination_type = "linear"}),
                    Contains("one r, got 4, 2") && Contains("'cat' or 'svd'"));
  const auto c = random_adapter(4, 8, {"q"});
  CHECK_THROWS_WITH(peft::add_weighted_adapter({a, c}, {1.0, 1.0}, {.combination_type = "ties"}), Contains("needs density"));
  CHECK_THROWS_WITH(peft::add_weighted_adapter({a, c}, {1.0, 1.0}, {.combination_type = "ties", .density = 0.5,
                                                                    .majority_sign_method = "mode"}),
                    Contains("majority_sign_method 'mode'"));
  auto head = c;
  head.tensors["classifier.weight"] = torch::zeros({2, 6});
  CHECK_THROWS_WITH(peft::add_weighted_adapter({a, head}, {1.0, 1.0}, {.combination_type = "cat"}),
                    Contains("'classifier.weight'") && Contains("not LoRA's lora_A or lora_B"));
  auto wide = c;
  wide.tensors["m.q.lora_A.weight"] = torch::randn({4, 7});
  CHECK_THROWS_WITH(peft::add_weighted_adapter({a, wide}, {1.0, 1.0}, {.combination_type = "cat"}),
                    Contains("shapes at 'm.q' disagree"));
  auto regex = c;
  peft::targets pattern;
  pattern.regex = ".*q";
  regex.config.target_modules(pattern);
  CHECK_THROWS_WITH(peft::add_weighted_adapter({a, regex}, {1.0, 1.0}, {.combination_type = "cat"}),
                    Contains("mix lists and regexes"));
  CHECK_THROWS_WITH(peft::add_weighted_adapter({a, b}, {1.0, 1.0}, {.svd_rank = 7}), Contains("exceeds min(in, out) = 5"));
}
