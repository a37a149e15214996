// Injection into a user's own module tree (not our backbone): a fresh adapter leaves the model's
// output unchanged; parameter names are HF-like and the base ones unchanged; the count equals the
// policy's closed form; gradients reach only adapters after freezing; LoRA learns a toy task;
// merging and unmerging are exact; the errors say what to do.
#include <autopeft/peft/active_adapter.hpp>
#include <autopeft/peft/adapted_weights.hpp>
#include <autopeft/peft/adapter_names.hpp>
#include <autopeft/peft/add_adapter.hpp>
#include <autopeft/peft/delete_adapter.hpp>
#include <autopeft/peft/disable_adapter.hpp>
#include <autopeft/peft/ia3.hpp>
#include <autopeft/peft/inject.hpp>
#include <autopeft/peft/loha.hpp>
#include <autopeft/peft/lokr.hpp>
#include <autopeft/peft/lora.hpp>
#include <autopeft/peft/merge_adapter.hpp>
#include <autopeft/peft/merge_and_unload.hpp>
#include <autopeft/peft/set_adapter.hpp>
#include <autopeft/peft/unload.hpp>
#include <autopeft/peft/unmerge_adapter.hpp>
#include <autopeft/peft/vera.hpp>

using namespace autopeft;

namespace {

constexpr std::int64_t H = 8, F = 16;

struct MlpImpl : torch::nn::Module {
  peft::Linear fc1{nullptr}, fc2{nullptr};
  MlpImpl() {
    fc1 = register_module("fc1", peft::Linear(H, F));
    fc2 = register_module("fc2", peft::Linear(F, H));
  }
  torch::Tensor forward(const torch::Tensor& x) { return fc2(torch::gelu(fc1(x))); }
};
TORCH_MODULE(Mlp);

/// One-head self-attention, x [B, S, H].
struct AttentionImpl : torch::nn::Module {
  peft::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, out_proj{nullptr};
  AttentionImpl() {
    q_proj = register_module("q_proj", peft::Linear(H, H));
    k_proj = register_module("k_proj", peft::Linear(H, H));
    v_proj = register_module("v_proj", peft::Linear(H, H));
    out_proj = register_module("out_proj", peft::Linear(H, H));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto a = torch::softmax(torch::matmul(q_proj(x), k_proj(x).transpose(1, 2)) / std::sqrt(double(H)), -1);
    return out_proj(torch::matmul(a, v_proj(x)));
  }
};
TORCH_MODULE(Attention);

struct BlockImpl : torch::nn::Module {
  Attention attn{nullptr};
  Mlp mlp{nullptr};
  BlockImpl() {
    attn = register_module("attn", Attention());
    mlp = register_module("mlp", Mlp());
  }
  torch::Tensor forward(torch::Tensor x) {
    x = x + attn(x);
    return x + mlp(x);
  }
};
TORCH_MODULE(Block);

/// Two blocks and a plain torch::nn::Linear head: x [B, S, H] -> [B, S, 1].
struct NetImpl : torch::nn::Module {
  torch::nn::ModuleList blocks{nullptr};
  torch::nn::Linear head{nullptr};
  NetImpl() {
    blocks = register_module("blocks", torch::nn::ModuleList(Block(), Block()));
    head = register_module("head", torch::nn::Linear(H, 1));
  }
  torch::Tensor forward(torch::Tensor x) {
    for (auto& b : *blocks) x = b->as<Block>()->forward(x);
    return head(x);
  }
};
TORCH_MODULE(Net);

/// The same tree with plain torch::nn::Linear layers: a checkpoint written by it must load into
/// Mlp, and injected adapters re-parametrise its layers (peft::adapted_weights).
struct PlainMlpImpl : torch::nn::Module {
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
  PlainMlpImpl() {
    fc1 = register_module("fc1", torch::nn::Linear(H, F));
    fc2 = register_module("fc2", torch::nn::Linear(F, H));
  }
  torch::Tensor forward(const torch::Tensor& x) { return fc2(torch::gelu(fc1(x))); }
};
TORCH_MODULE(PlainMlp);

bool is_adapter_key(const std::string& k) {
  for (const char* name : {".lora.", ".ia3.", ".vera.", ".loha.", ".lokr.", ".lora_wide."})
    if (k.find(name) != std::string::npos) return true;
  return false;
}

std::map<std::string, torch::Tensor> snapshot(torch::nn::Module& m, bool base_only = true) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& p : m.named_parameters(true))
    if (!base_only || !is_adapter_key(p.key())) out[p.key()] = p.value().detach().clone();
  return out;
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const error& e) {
    return e.what();
  }
  return "(no autopeft::error thrown)";
}

auto lora_mlp() { return peft::lora{}.r(2).lora_alpha(4).target_modules({"fc1", "fc2"}); }
auto ia3_attn() { return peft::ia3{}.target_modules({"k_proj", "v_proj", "fc2"}).feedforward_modules({"fc2"}); }

}  // namespace

TEST_CASE("peft::Linear is a torch::nn::Linear with the same parameter names", "[peft][inject]") {
  torch::manual_seed(0);
  peft::Linear l(torch::nn::LinearOptions(H, F).bias(false));
  CHECK(l->as<torch::nn::Linear>() != nullptr);
  CHECK(l->named_parameters().keys() == std::vector<std::string>{"weight"});
  auto x = torch::randn({3, H});
  CHECK(torch::equal(l(x), torch::linear(x, l->weight)));
  std::ostringstream s;
  s << *l;
  CHECK(s.str() == "autopeft::peft::Linear(in_features=8, out_features=16, bias=false)");
}

TEST_CASE("a checkpoint of a torch::nn::Linear model loads into peft::Linear, and injection leaves it intact",
          "[peft][inject]") {
  torch::manual_seed(1);
  PlainMlp plain;
  std::stringstream ckpt;
  torch::save(plain, ckpt);
  Mlp mlp;
  torch::load(mlp, ckpt);
  const auto before = snapshot(*mlp, false);
  REQUIRE(before.size() == 4);
  CHECK(torch::equal(before.at("fc1.weight"), plain->fc1->weight));

  auto r = peft::inject(*mlp, lora_mlp());
  CHECK(r.modules == std::vector<std::string>{"fc1", "fc2"});
  const auto all = snapshot(*mlp, false);
  const auto base = snapshot(*mlp);
  std::vector<std::string> adapter_keys;
  for (const auto& [k, v] : all)
    if (is_adapter_key(k)) adapter_keys.push_back(k);
  CHECK(adapter_keys == std::vector<std::string>{"fc1.lora.lora_A.weight", "fc1.lora.lora_B.weight",
                                                 "fc2.lora.lora_A.weight", "fc2.lora.lora_B.weight"});
  REQUIRE(base.size() == before.size());
  for (const auto& [k, v] : before) {
    REQUIRE(base.contains(k));
    CHECK(torch::equal(base.at(k), v));
  }
}

TEST_CASE("injected LoRA and (IA)3 leave a user model's output unchanged and count as the closed form",
          "[peft][inject]") {
  torch::manual_seed(2);
  Net net;
  net->eval();
  auto x = torch::randn({2, 5, H});
  const auto y0 = net(x).detach();
  const auto keys_before = snapshot(*net);

  const auto lora = lora_mlp();
  auto rl = peft::inject(*net, lora);
  CHECK(rl.modules == std::vector<std::string>{"blocks.0.mlp.fc1", "blocks.0.mlp.fc2", "blocks.1.mlp.fc1",
                                               "blocks.1.mlp.fc2"});
  CHECK(rl.trainable_parameters == 2 * (lora.site_parameters(H, F) + lora.site_parameters(F, H)));
  CHECK(rl.trainable_parameters == 2 * 2 * (2 * (H + F)));  // r (in + out) per site

  auto ri = peft::inject(*net, ia3_attn());
  CHECK(ri.modules == std::vector<std::string>{"blocks.0.attn.k_proj", "blocks.0.attn.v_proj", "blocks.0.mlp.fc2",
                                               "blocks.1.attn.k_proj", "blocks.1.attn.v_proj", "blocks.1.mlp.fc2"});
  CHECK(ri.trainable_parameters == 2 * (H + H + F));  // out at attention-type sites, in at fc2 (feedforward)
  auto named = net->named_parameters(true);
  CHECK(named["blocks.1.attn.k_proj.ia3.ia3_l"].sizes() == torch::IntArrayRef{H, 1});
  CHECK(named["blocks.1.mlp.fc2.ia3.ia3_l"].sizes() == torch::IntArrayRef{1, F});
  CHECK(named.contains("blocks.0.mlp.fc2.lora.lora_B.weight"));

  CHECK(torch::allclose(net(x), y0, 1e-6, 1e-6));
  const auto keys_after = snapshot(*net);
  CHECK(keys_after.size() == keys_before.size());

  const auto counts = peft::freeze_except_adapters(*net);
  CHECK(counts.trainable == rl.trainable_parameters + ri.trainable_parameters);
  net->train();
  net(x).pow(2).mean().backward();
  bool some_nonzero = false;
  for (const auto& p : net->named_parameters(true)) {
    INFO(p.key());
    if (is_adapter_key(p.key())) {
      CHECK(p.value().requires_grad());
      REQUIRE(p.value().grad().defined());
      some_nonzero |= p.value().grad().abs().sum().item<double>() > 0;
    } else {
      CHECK_FALSE(p.value().requires_grad());
      CHECK_FALSE(p.value().grad().defined());
    }
  }
  CHECK(some_nonzero);
}

TEST_CASE("injected LoRA learns a low-rank regression toy task", "[peft][inject]") {
  torch::manual_seed(3);
  Mlp student, teacher;
  {
    torch::NoGradGuard ng;
    for (auto& p : teacher->named_parameters()) p.value().copy_(student->named_parameters()[p.key()]);
    teacher->fc1->weight.add_(torch::randn({F, 1}) * torch::randn({1, H}) * 0.5);
    teacher->fc2->weight.add_(torch::randn({H, 1}) * torch::randn({1, F}) * 0.5);
  }
  auto x = torch::randn({128, H});
  const auto target = teacher(x).detach();
  peft::inject(*student, lora_mlp());
  peft::freeze_except_adapters(*student);
  std::vector<torch::Tensor> trainable;
  for (auto& p : student->parameters())
    if (p.requires_grad()) trainable.push_back(p);
  torch::optim::Adam opt(trainable, torch::optim::AdamOptions(1e-2));
  const double first = torch::mse_loss(student(x), target).item<double>();
  double last = first;
  for (int step = 0; step < 300; ++step) {
    opt.zero_grad();
    auto loss = torch::mse_loss(student(x), target);
    loss.backward();
    opt.step();
    last = loss.item<double>();
  }
  INFO("first " << first << ", last " << last);
  CHECK(last < 0.1 * first);
}

TEST_CASE("merge_adapter and unmerge_adapter are exact", "[peft][inject]") {
  torch::manual_seed(4);
  Net net;
  net->eval();
  peft::inject(*net, lora_mlp().init_lora_weights(false));
  peft::inject(*net, ia3_attn());
  {
    torch::NoGradGuard ng;
    for (auto& p : net->named_parameters())
      if (p.key().find(".ia3.") != std::string::npos) p.value().uniform_(0.5, 1.5);
  }
  auto x = torch::randn({2, 5, H});
  const auto y = net(x).detach();
  const auto base = snapshot(*net);
  peft::merge_adapter(*net);
  CHECK_FALSE(torch::allclose(snapshot(*net).at("blocks.0.mlp.fc1.weight"), base.at("blocks.0.mlp.fc1.weight")));
  CHECK(torch::allclose(net(x), y, 1e-5, 1e-5));
  peft::unmerge_adapter(*net);
  for (const auto& [k, v] : snapshot(*net)) {
    INFO(k);
    CHECK(torch::allclose(v, base.at(k), 1e-5, 1e-5));
  }
  CHECK(torch::allclose(net(x), y, 1e-5, 1e-5));
}

TEST_CASE("inject selects by regex and layers_to_transform", "[peft][inject]") {
  torch::manual_seed(5);
  Net net;
  peft::targets t;
  t.regex = R"(blocks\.\d+\.attn\.(q|v)_proj)";
  auto r = peft::inject(*net, peft::lora{}.r(1).target_modules(t).layers_to_transform({1}));
  CHECK(r.modules == std::vector<std::string>{"blocks.1.attn.q_proj", "blocks.1.attn.v_proj"});
  // The adapters' own Linears (…q_proj.lora.lora_A, plain torch::nn::Linear) are never candidates.
  t.regex = R"(.*\.lora_A|.*\.fc1)";
  r = peft::inject(*net, peft::lora{}.r(1).target_modules(t));
  CHECK(r.modules == std::vector<std::string>{"blocks.0.mlp.fc1", "blocks.1.mlp.fc1"});
  CHECK_THAT(message_of([&] { peft::inject(*net, peft::lora{}.target_modules(peft::targets{"fc1"})); }),
             Catch::Contains("already has lora for the adapter 'default'"));
}

TEST_CASE("injected VeRA shares one frozen pair and starts at zero update", "[peft][inject]") {
  torch::manual_seed(6);
  Mlp mlp;
  auto x = torch::randn({4, H});
  const auto y0 = mlp(x).detach();
  const auto p = peft::vera{}.r(4).target_modules({"fc1", "fc2"});
  auto r = peft::inject(*mlp, p);
  CHECK(r.trainable_parameters == p.site_parameters(H, F) + p.site_parameters(F, H));
  CHECK(torch::allclose(mlp(x), y0, 1e-6, 1e-6));
  auto buffers = mlp->named_buffers(true);
  CHECK(buffers.size() == 2);
  CHECK(buffers["peft.vera.vera_A"].sizes() == torch::IntArrayRef{4, F});
  CHECK(buffers["peft.vera.vera_B"].sizes() == torch::IntArrayRef{F, 4});
}

TEMPLATE_TEST_CASE("injected LoHa and LoKr start at zero update, count as the closed form and merge exactly",
                   "[peft][inject]", peft::loha, peft::lokr) {
  torch::manual_seed(7);
  Mlp mlp;
  auto x = torch::randn({4, H});
  const auto y0 = mlp(x).detach();
  const auto p = TestType{}.r(2).target_modules({"fc1", "fc2"});
  auto r = peft::inject(*mlp, p);
  CHECK(r.trainable_parameters == p.site_parameters(H, F) + p.site_parameters(F, H));
  CHECK(torch::allclose(mlp(x), y0, 1e-6, 1e-6));
  {
    torch::NoGradGuard ng;
    for (auto& w : mlp->named_parameters())
      if (w.key().find(std::string(".") + std::string(TestType::name) + ".") != std::string::npos)
        w.value().normal_(0, 0.3);
  }
  const auto y1 = mlp(x).detach();
  CHECK_FALSE(torch::allclose(y1, y0, 1e-4, 1e-4));
  const auto base = snapshot(*mlp);
  peft::merge_adapter(*mlp);
  CHECK_FALSE(torch::allclose(mlp->fc1->weight, base.at("fc1.weight"), 1e-4, 1e-4));
  CHECK(torch::allclose(mlp(x), y1, 1e-5, 1e-5));
  peft::unmerge_adapter(*mlp);
  CHECK(torch::allclose(mlp->fc1->weight, base.at("fc1.weight"), 1e-5, 1e-5));
  CHECK(torch::allclose(mlp(x), y1, 1e-5, 1e-5));
}

TEST_CASE("inject's errors name the module and say what to do", "[peft][inject]") {
  Net net;
  const auto plain = message_of([&] { peft::inject(*net, peft::lora{}.lora_dropout(0.1).target_modules({"head"})); });
  CHECK_THAT(plain, Catch::Contains("module 'head' is a plain torch::nn::Linear") &&
                        Catch::Contains("lora_dropout acts on the LoRA path's input") &&
                        Catch::Contains("set lora_dropout(0), or declare the layer as autopeft::peft::Linear"));
  const auto vera = message_of([&] { peft::inject(*net, peft::vera{}.vera_dropout(0.1).target_modules({"head"})); });
  CHECK_THAT(vera, Catch::Contains("module 'head' is a plain torch::nn::Linear") && Catch::Contains("set vera_dropout(0)"));
  const auto none = message_of([&] { peft::inject(*net, peft::lora{}.target_modules({"fc9", "query"})); });
  CHECK_THAT(none, Catch::Contains("target_modules {fc9, query} matched no Linear module") &&
                       Catch::Contains("blocks.0.attn.q_proj") && Catch::Contains("blocks.1.mlp.fc2") &&
                       Catch::Contains("blocks.1.mlp.fc2, head"));
  // A failed injection attaches nothing.
  CHECK(snapshot(*net, false).size() == snapshot(*net).size());
  const auto ia3_bad = message_of([&] {
    peft::inject(*net, peft::ia3{}.target_modules({"fc1"}).feedforward_modules({"fc2"}));
  });
  CHECK_THAT(ia3_bad, Catch::Contains("feedforward_modules entry 'fc2' is not in target_modules"));
}

namespace {
/// A Net with LoRA (B non-zero) and (IA)3 (l off 1) injected, its base outputs and base weights.
struct adapted_net {
  Net net;
  torch::Tensor x, base_y;
  std::map<std::string, torch::Tensor> base;
  explicit adapted_net(std::uint64_t seed) {
    torch::manual_seed(seed);
    net->eval();
    x = torch::randn({2, 5, H});
    base_y = net(x).detach();
    base = snapshot(*net);
    peft::inject(*net, lora_mlp().init_lora_weights(false));
    peft::inject(*net, ia3_attn());
    torch::NoGradGuard ng;
    for (auto& p : net->named_parameters())
      if (p.key().find(".ia3.") != std::string::npos) p.value().uniform_(0.5, 1.5);
  }
  bool has_adapter_tensors() {
    for (const auto& p : net->named_parameters())
      if (is_adapter_key(p.key())) return true;
    return false;
  }
};
}  // namespace

TEST_CASE("merge_and_unload on an injected tree keeps the outputs and leaves no adapter", "[peft][inject][manage]") {
  adapted_net a(21);
  const auto y = a.net(a.x).detach();
  REQUIRE_FALSE(torch::allclose(y, a.base_y, 1e-3, 1e-3));
  peft::merge_and_unload(*a.net);
  CHECK(torch::allclose(a.net(a.x), y, 1e-5, 1e-5));
  CHECK_FALSE(a.has_adapter_tensors());
  CHECK(a.net->parameters().size() == a.base.size());
  for (const auto& item : a.net->named_modules("", false))
    if (auto* l = dynamic_cast<peft::LinearImpl*>(item.value().get())) CHECK(l->adapters().empty());
  // The trained-adapter workflow of the headers' examples (merge_and_unload.hpp, inject.hpp).
  torch::manual_seed(22);
  const auto x = torch::randn({16, H}), target = torch::randn({16, H});
  torch::Tensor trained;  // the outputs after training, before merging
  auto train = [&](MlpImpl& m) {
    peft::freeze_except_adapters(m);
    std::vector<torch::Tensor> params;
    for (auto& p : m.parameters())
      if (p.requires_grad()) params.push_back(p);
    torch::optim::Adam opt(params, torch::optim::AdamOptions(1e-2));
    for (int step = 0; step < 20; ++step) {
      opt.zero_grad();
      torch::mse_loss(m.forward(x), target).backward();
      opt.step();
    }
    trained = m.forward(x).detach();
  };
  {
    Mlp net;
    const auto before = net(x).detach();
    peft::inject(*net, peft::lora{}.r(4).target_modules({"fc1", "fc2"}));
    train(*net);                    // the adapters learn
    peft::merge_and_unload(*net);   // fc1, fc2 hold W + s B A; no adapter is left
    REQUIRE_FALSE(torch::allclose(trained, before, 1e-3, 1e-3));
    CHECK(torch::allclose(net(x), trained, 1e-5, 1e-5));
    CHECK(net->parameters().size() == 4);
  }
  {
    Mlp net;                                              // fc1, fc2 are peft::Linear
    auto r = peft::inject(*net, peft::lora{}.r(4).target_modules({"fc1", "fc2"}));
    peft::freeze_except_adapters(*net);                   // train r.modules' adapters only
    train(*net);
    peft::merge_and_unload(*net);                         // fold the updates into fc1, fc2
    CHECK(r.modules == std::vector<std::string>{"fc1", "fc2"});
    CHECK(torch::allclose(net(x), trained, 1e-5, 1e-5));
    CHECK(net->parameters().size() == 4);
  }
}

TEST_CASE("unload on an injected tree gives the base model back bit for bit", "[peft][inject][manage]") {
  adapted_net a(23);
  peft::unload(*a.net);
  CHECK(torch::equal(a.net(a.x), a.base_y));
  CHECK_FALSE(a.has_adapter_tensors());
  for (const auto& [k, v] : snapshot(*a.net)) {
    INFO(k);
    CHECK(torch::equal(v, a.base.at(k)));
  }
  // A merged adapter is unmerged before it goes: the base weights come back (to rounding).
  adapted_net merged(23);
  peft::merge_adapter(*merged.net);
  peft::unload(*merged.net);
  CHECK(torch::allclose(merged.net(merged.x), merged.base_y, 1e-5, 1e-5));
  // VeRA's frozen pair, shared on the root, goes with its sites.
  torch::manual_seed(24);
  Mlp mlp;
  peft::inject(*mlp, peft::vera{}.r(4).target_modules({"fc1", "fc2"}));
  REQUIRE(mlp->named_buffers().size() == 2);
  peft::unload(*mlp);
  CHECK(mlp->named_buffers().is_empty());
  CHECK(mlp->parameters().size() == 4);
}

TEST_CASE("inside disable_adapter an injected tree computes the base outputs; after it, the adapted ones",
          "[peft][inject][manage]") {
  adapted_net a(25);
  const auto y = a.net(a.x).detach();
  {
    peft::disable_adapter off(*a.net);
    CHECK(torch::equal(a.net(a.x), a.base_y));
    // Inside, the adapters are out of the graph.
    a.net(a.x).sum().backward();
    for (const auto& p : a.net->named_parameters())
      if (is_adapter_key(p.key())) CHECK_FALSE(p.value().grad().defined());
    {
      peft::disable_adapter nested(*a.net);
      CHECK(torch::equal(a.net(a.x), a.base_y));
    }
    CHECK(torch::equal(a.net(a.x), a.base_y));  // the inner guard leaves them off
  }
  CHECK(torch::equal(a.net(a.x), y));
  // After it, gradients reach the adapters again.
  a.net(a.x).sum().backward();
  for (const auto& p : a.net->named_parameters())
    if (is_adapter_key(p.key())) {
      INFO(p.key());
      REQUIRE(p.value().grad().defined());
      CHECK(p.value().grad().abs().sum().item<double>() > 0);
    }
  // Merged adapters are unmerged for the scope and merged again after it.
  peft::merge_adapter(*a.net);
  const auto merged_w = a.net->blocks[0]->as<Block>()->mlp->fc1->weight.detach().clone();
  {
    peft::disable_adapter off(*a.net);
    CHECK(torch::allclose(a.net(a.x), a.base_y, 1e-5, 1e-5));
  }
  CHECK(torch::allclose(a.net->blocks[0]->as<Block>()->mlp->fc1->weight, merged_w, 1e-6, 1e-6));
  CHECK(torch::allclose(a.net(a.x), y, 1e-5, 1e-5));
  peft::unmerge_adapter(*a.net);
  for (const auto& [k, v] : snapshot(*a.net)) {
    INFO(k);
    CHECK(torch::allclose(v, a.base.at(k), 1e-5, 1e-5));
  }
}

TEST_CASE("the management verbs' errors say what is wrong and what to do", "[peft][inject][manage]") {
  Mlp plain;
  CHECK_THAT(message_of([&] { peft::merge_and_unload(*plain); }),
             Catch::Contains("peft::merge_and_unload: the module holds no adapters") &&
                 Catch::Contains("peft::inject"));
  CHECK_THAT(message_of([&] { peft::disable_adapter off(*plain); }),
             Catch::Contains("peft::disable_adapter: the module holds no adapters"));
  adapted_net a(26);
  peft::disable_adapter off(*a.net);
  CHECK_THAT(message_of([&] { peft::merge_adapter(*a.net); }),
             Catch::Contains("disabled by a live peft::disable_adapter guard") &&
                 Catch::Contains("merge after the guard's scope ends"));
}

// Plain torch::nn::Linear layers (peft/linear_parametrization.hpp): the adapters re-parametrise
// weight and bias inside peft::adapted_weights. The law: a plain Linear adapted so computes what an
// autopeft::peft::Linear with the same adapter values computes, forward and gradients.
namespace {

template <class P>
void check_plain_equals_peft_linear(const P& policy, std::uint64_t seed) {
  torch::manual_seed(seed);
  Mlp ours;
  PlainMlp plain;
  {
    torch::NoGradGuard ng;
    auto theirs = ours->named_parameters(true);
    for (auto& p : plain->named_parameters(true)) p.value().copy_(theirs[p.key()]);
  }
  const auto x = torch::randn({6, H});
  const auto base_y = plain(x).detach();
  const auto base = snapshot(*plain);
  const auto ro = peft::inject(*ours, policy);
  const auto rp = peft::inject(*plain, policy);
  CHECK(rp.modules == ro.modules);
  CHECK(rp.trainable_parameters == ro.trainable_parameters);
  // The same parameter and buffer names; the adapters' values copied across, moved off their
  // zero-update initialisation.
  REQUIRE(plain->named_parameters(true).keys() == ours->named_parameters(true).keys());
  REQUIRE(plain->named_buffers(true).keys() == ours->named_buffers(true).keys());
  {
    torch::NoGradGuard ng;
    auto mine = ours->named_parameters(true), theirs = plain->named_parameters(true);
    for (auto& p : mine)
      if (is_adapter_key(p.key())) {
        p.value().add_(torch::randn_like(p.value()) * 0.3);
        theirs[p.key()].copy_(p.value());
      }
    auto their_buffers = plain->named_buffers(true);
    for (auto& b : ours->named_buffers(true)) their_buffers[b.key()].copy_(b.value());
  }
  CHECK(torch::equal(plain(x), base_y));  // outside the guard, the base layers
  peft::freeze_except_adapters(*ours);
  const auto counts = peft::freeze_except_adapters(*plain);
  CHECK(counts.trainable == rp.trainable_parameters);

  const auto y = ours(x);
  torch::Tensor yp;
  {
    peft::adapted_weights adapted(*plain);
    CHECK(adapted.size() == 2);
    yp = plain(x);
  }
  REQUIRE_FALSE(torch::allclose(y, base_y, 1e-3, 1e-3));
  CHECK(torch::allclose(yp, y, 1e-5, 1e-5));
  // The registered tensors are back in the members, untouched.
  CHECK(plain->fc1->weight.is_same(plain->named_parameters()["fc1.weight"]));
  CHECK(plain->fc2->bias.is_same(plain->named_parameters()["fc2.bias"]));
  // Backward after the scope: the same gradients reach the adapters; none the frozen base.
  y.pow(2).sum().backward();
  yp.pow(2).sum().backward();
  auto theirs = plain->named_parameters(true);
  for (const auto& p : ours->named_parameters(true)) {
    INFO(p.key());
    if (!is_adapter_key(p.key())) {
      CHECK_FALSE(theirs[p.key()].grad().defined());
      continue;
    }
    REQUIRE(theirs[p.key()].grad().defined());
    CHECK(torch::allclose(theirs[p.key()].grad(), p.value().grad(), 1e-4, 1e-5));
  }
  // disable_adapter inside a guard: the base outputs.
  {
    peft::adapted_weights adapted(*plain);
    peft::disable_adapter off(*plain);
    CHECK(torch::equal(plain(x), base_y));
  }
  // Merged, no guard is needed; merge_and_unload leaves a plain model with the adapted outputs.
  peft::merge_adapter(*plain);
  CHECK(torch::allclose(plain(x), y, 1e-5, 1e-5));
  {
    peft::adapted_weights adapted(*plain);  // merged adapters fold nothing more
    CHECK(torch::allclose(plain(x), y, 1e-5, 1e-5));
  }
  peft::merge_and_unload(*plain);
  CHECK(torch::allclose(plain(x), y, 1e-5, 1e-5));
  CHECK(plain->named_parameters(true).size() == 4);
  CHECK(plain->named_buffers(true).is_empty());
  CHECK(plain->named_modules("", false).size() == 2);
  CHECK_FALSE(torch::allclose(plain->fc1->weight, base.at("fc1.weight"), 1e-4, 1e-4));
}

}  // namespace

TEST_CASE("plain torch::nn::Linear layers take LoRA, DoRA, (IA)3, LoHa, LoKr and VeRA, equal to peft::Linear's",
          "[peft][inject][plain_linear]") {
  SECTION("LoRA") { check_plain_equals_peft_linear(lora_mlp(), 41); }
  SECTION("DoRA") { check_plain_equals_peft_linear(lora_mlp().use_dora(true), 42); }
  SECTION("(IA)3") {
    check_plain_equals_peft_linear(peft::ia3{}.target_modules({"fc1", "fc2"}).feedforward_modules({"fc2"}), 43);
  }
  SECTION("LoHa") { check_plain_equals_peft_linear(peft::loha{}.r(2).target_modules({"fc1", "fc2"}), 44); }
  SECTION("LoKr") { check_plain_equals_peft_linear(peft::lokr{}.r(2).target_modules({"fc1", "fc2"}), 45); }
  SECTION("VeRA") { check_plain_equals_peft_linear(peft::vera{}.r(4).target_modules({"fc1", "fc2"}), 46); }
}

namespace {
/// A user's model of LibTorch's own layers: a Sequential, a ModuleList and a Linear member.
struct PlainNetImpl : torch::nn::Module {
  torch::nn::Sequential body{nullptr};
  torch::nn::ModuleList experts{nullptr};
  torch::nn::Linear head{nullptr};
  PlainNetImpl() {
    body = register_module("body", torch::nn::Sequential(torch::nn::Linear(H, F), torch::nn::GELU(),
                                                         torch::nn::Linear(F, H)));
    experts = register_module("experts", torch::nn::ModuleList(torch::nn::Linear(H, H), torch::nn::Linear(H, H)));
    head = register_module("head", torch::nn::Linear(H, 1));
  }
  torch::Tensor forward(torch::Tensor x) {
    x = body->forward(x);
    auto mixed = experts[0]->as<torch::nn::Linear>()->forward(x) + experts[1]->as<torch::nn::Linear>()->forward(x);
    return head(torch::gelu(mixed));
  }
};
TORCH_MODULE(PlainNet);
}  // namespace

TEST_CASE("LoRA on a Sequential, a ModuleList and a Linear member learns with adapted_weights held each step",
          "[peft][inject][plain_linear]") {
  torch::manual_seed(47);
  PlainNet student, teacher;
  const auto x = torch::randn({64, H});
  const auto target = teacher(x).detach();
  const auto r = peft::inject(*student, peft::lora{}.r(4).lora_alpha(8).target_modules({"body.0", "body.2", "experts.1", "head"}));
  CHECK(r.modules == std::vector<std::string>{"body.0", "body.2", "experts.1", "head"});
  peft::freeze_except_adapters(*student);
  std::vector<torch::Tensor> trainable;
  for (auto& p : student->parameters())
    if (p.requires_grad()) trainable.push_back(p);
  CHECK(trainable.size() == 8);
  torch::optim::Adam opt(trainable, torch::optim::AdamOptions(1e-2));
  double first = 0, last = 0;
  for (int step = 0; step < 150; ++step) {
    peft::adapted_weights adapted(*student);
    CHECK(adapted.size() == 4);
    auto loss = torch::mse_loss(student(x), target);
    opt.zero_grad();
    loss.backward();
    opt.step();
    (step == 0 ? first : last) = loss.item<double>();
  }
  INFO("first " << first << ", last " << last);
  CHECK(last < 0.3 * first);
  torch::Tensor trained;
  {
    peft::adapted_weights adapted(*student);
    trained = student(x).detach();
  }
  peft::merge_and_unload(*student);
  CHECK(torch::allclose(student(x), trained, 1e-5, 1e-5));
  CHECK(student->parameters().size() == 10);
  // unload instead gives the base back bit for bit.
  torch::manual_seed(48);
  PlainNet net;
  const auto base_y = net(x).detach();
  peft::inject(*net, peft::lora{}.r(2).init_lora_weights(false).target_modules({"body.0", "head"}));
  {
    peft::adapted_weights adapted(*net);
    REQUIRE_FALSE(torch::allclose(net(x), base_y, 1e-3, 1e-3));
  }
  peft::unload(*net);
  CHECK(torch::equal(net(x), base_y));
  CHECK(net->parameters().size() == 10);
}

namespace {
/// A linear-site policy whose site module cannot fold into a weight (no reparametrize).
struct no_fold_site : torch::nn::Module {
  torch::Tensor output(const torch::Tensor&, torch::Tensor y, torch::nn::LinearImpl&) { return y * 2; }
  void merge(torch::nn::LinearImpl&) {}
  void unmerge(torch::nn::LinearImpl&) {}
  [[nodiscard]] bool merged() const { return false; }
};
struct no_fold_policy {
  static constexpr std::string_view name = "nofold";
  using site_module = no_fold_site;
  peft::targets targets_{"fc1"};
  [[nodiscard]] const peft::targets& target_modules() const { return targets_; }
  std::shared_ptr<no_fold_site> build_site(const model::layer_context&, model::site, torch::nn::LinearImpl&) const {
    return std::make_shared<no_fold_site>();
  }
};
}  // namespace

TEST_CASE("plain-Linear injection's errors say what to do", "[peft][inject][plain_linear]") {
  PlainMlp plain;
  CHECK_THAT(message_of([&] { peft::inject(*plain, no_fold_policy{}); }),
             Catch::Contains("module 'fc1' is a plain torch::nn::Linear") &&
                 Catch::Contains("no reparametrize(w, b)") && Catch::Contains("declare the layer as autopeft::peft::Linear"));
  Mlp ours;  // the same policy on a peft::Linear is fine
  CHECK(peft::inject(*ours, no_fold_policy{}).modules == std::vector<std::string>{"fc1"});
  peft::inject(*plain, lora_mlp());
  CHECK_THAT(message_of([&] { peft::inject(*plain, lora_mlp()); }),
             Catch::Contains("module 'fc1' already has lora for the adapter 'default'"));
  peft::adapted_weights adapted(*plain);
  CHECK_THAT(message_of([&] { peft::inject(*plain, peft::ia3{}.target_modules({"fc1"}).feedforward_modules({"fc1"})); }),
             Catch::Contains("inside a live peft::adapted_weights guard"));
  CHECK_THAT(message_of([&] { peft::merge_adapter(*plain); }),
             Catch::Contains("while a peft::adapted_weights guard is alive") &&
                 Catch::Contains("after the guard's scope ends"));
  CHECK_THAT(message_of([&] { peft::unload(*plain); }), Catch::Contains("while a peft::adapted_weights guard is alive"));
  // A LoHa with rank dropout folds its sampled update (rows dropped at random) while training.
  PlainMlp loha_net;
  peft::inject(*loha_net, peft::loha{}.r(2).rank_dropout(0.5).init_weights(false).target_modules({"fc1"}));
  loha_net->train();
  peft::adapted_weights folded(*loha_net);
  CHECK(folded.size() == 1);
}

TEST_CASE("the plain-Linear header examples run as written", "[peft][inject][plain_linear]") {
  torch::manual_seed(49);
  {  // peft/linear_parametrization.hpp
    auto net = torch::nn::Sequential(torch::nn::Linear(8, 32), torch::nn::ReLU(), torch::nn::Linear(32, 1));
    peft::inject(*net, peft::lora{}.r(4).target_modules({"0", "2"}));
    peft::freeze_except_adapters(*net);
    peft::adapted_weights adapted(*net);               // around every forward that should adapt
    auto y = net->forward(torch::randn({16, 8}));
    CHECK(adapted.size() == 2);
    CHECK(y.sizes() == torch::IntArrayRef{16, 1});
    CHECK(y.requires_grad());  // through the adapters' parameters
  }
  {  // peft/adapted_weights.hpp
    auto net = torch::nn::Sequential(torch::nn::Linear(8, 32), torch::nn::ReLU(), torch::nn::Linear(32, 1));
    peft::inject(*net, peft::lora{}.r(4).target_modules({"0", "2"}));
    peft::freeze_except_adapters(*net);
    const auto x = torch::randn({32, 8}), y = torch::randn({32, 1});
    std::vector<torch::Tensor> trainable;
    for (auto& p : net->parameters())
      if (p.requires_grad()) trainable.push_back(p);
    torch::optim::Adam opt(trainable, torch::optim::AdamOptions(1e-2));
    const int steps = 50;
    auto loss_now = [&] {
      torch::NoGradGuard ng;
      peft::adapted_weights adapted(*net);
      return torch::mse_loss(net->forward(x), y).item<double>();
    };
    const double before = loss_now();
    for (int step = 0; step < steps; ++step) {
      peft::adapted_weights adapted(*net);             // W' = W + sBA for this step
      auto loss = torch::mse_loss(net->forward(x), y);
      opt.zero_grad();
      loss.backward();
      opt.step();
    }
    CHECK(loss_now() < 0.9 * before);
  }
}

// Named adapters (HF's adapter_name): one active, the others inert. The law: with adapter A
// active, the model computes what a model holding A alone computes, forward and gradients.
namespace {

/// A copy of `net`'s base weights with `policy` injected as "default", its adapter tensors taken
/// from `net`'s adapter `key` ("lora", "lora_wide").
template <class Model, class P>
Model single_adapter_twin(Model& net, const P& policy, const std::string& key) {
  Model twin;
  peft::inject(*twin, policy);
  torch::NoGradGuard ng;
  auto theirs = net->named_parameters(true);
  for (auto& p : twin->named_parameters(true)) {
    auto k = p.key();
    if (const auto at = k.find(".lora."); at != std::string::npos) k.replace(at, 6, "." + key + ".");
    REQUIRE(theirs.contains(k));
    p.value().copy_(theirs[k]);
  }
  return twin;
}

template <class Model>
torch::Tensor forward_of(Model& m, const torch::Tensor& x) {
  peft::adapted_weights adapted(*m);  // a no-op for peft::Linear layers
  return m->forward(x);
}

template <class Model>
void check_named_adapters(std::uint64_t seed) {
  torch::manual_seed(seed);
  Model net;
  const auto x = torch::randn({5, H});
  const auto base_y = forward_of(net, x).detach();
  const auto a = peft::lora{}.r(2).lora_alpha(4).init_lora_weights(false).target_modules({"fc1", "fc2"});
  const auto b = peft::lora{}.r(4).lora_alpha(4).init_lora_weights(false).target_modules({"fc2"});
  peft::inject(*net, a);
  const auto y_a = forward_of(net, x).detach();
  const auto rb = peft::add_adapter(*net, "wide", b);
  CHECK(rb.modules == std::vector<std::string>{"fc2"});
  CHECK(net->named_parameters().contains("fc2.lora_wide.lora_A.weight"));
  CHECK(peft::adapter_names(*net) == std::vector<std::string>{"default", "wide"});
  CHECK(peft::active_adapter(*net) == "default");  // add_adapter leaves the active adapter
  CHECK(torch::equal(forward_of(net, x), y_a));

  auto twin_a = single_adapter_twin(net, a, "lora");
  auto twin_b = single_adapter_twin(net, b, "lora_wide");
  CHECK(torch::allclose(forward_of(twin_a, x), y_a, 1e-6, 1e-6));

  peft::set_adapter(*net, "wide");
  CHECK(peft::active_adapter(*net) == "wide");
  const auto y_b = forward_of(net, x);
  REQUIRE_FALSE(torch::allclose(y_b, y_a, 1e-3, 1e-3));
  CHECK(torch::allclose(y_b, forward_of(twin_b, x), 1e-6, 1e-6));
  // Gradients reach the active adapter only.
  y_b.pow(2).sum().backward();
  for (const auto& p : net->named_parameters(true)) {
    INFO(p.key());
    if (p.key().find(".lora_wide.") != std::string::npos) CHECK(p.value().grad().defined());
    else if (p.key().find(".lora.") != std::string::npos) CHECK_FALSE(p.value().grad().defined());
  }
  // Merging merges the active adapter; switching unmerges first.
  peft::merge_adapter(*net);
  CHECK(torch::allclose(net->forward(x), y_b, 1e-5, 1e-5));
  peft::set_adapter(*net, "default");
  CHECK(torch::allclose(forward_of(net, x), y_a, 1e-5, 1e-5));

  // Deleting the active adapter activates the next one; deleting the last leaves the base.
  peft::delete_adapter(*net, "default");
  CHECK(peft::adapter_names(*net) == std::vector<std::string>{"wide"});
  CHECK(peft::active_adapter(*net) == "wide");
  CHECK_FALSE(net->named_parameters().contains("fc1.lora.lora_A.weight"));
  CHECK(torch::allclose(forward_of(net, x), y_b, 1e-5, 1e-5));
  peft::delete_adapter(*net, "wide");
  CHECK(net->named_parameters().size() == 4);
  CHECK(torch::allclose(net->forward(x), base_y, 1e-6, 1e-6));
}

}  // namespace

TEST_CASE("named adapters switch outputs: with one active, a model computes what it computes holding that one alone",
          "[peft][inject][named]") {
  SECTION("peft::Linear") { check_named_adapters<Mlp>(51); }
  SECTION("plain torch::nn::Linear") { check_named_adapters<PlainMlp>(52); }
}

TEST_CASE("the named-adapter verbs' errors say what to do", "[peft][inject][named]") {
  torch::manual_seed(53);
  Mlp net;
  peft::inject(*net, lora_mlp());
  CHECK_THAT(message_of([&] { peft::set_adapter(*net, "nope"); }),
             Catch::Contains("no adapter named 'nope'") && Catch::Contains("it holds: default") &&
                 Catch::Contains("peft::add_adapter"));
  CHECK_THAT(message_of([&] { peft::delete_adapter(*net, "nope"); }), Catch::Contains("no adapter named 'nope'"));
  CHECK_THAT(message_of([&] { peft::add_adapter(*net, "default", lora_mlp()); }),
             Catch::Contains("already has lora for the adapter 'default'") && Catch::Contains("another adapter name"));
  CHECK_THAT(message_of([&] { peft::add_adapter(*net, "a.b", lora_mlp()); }),
             Catch::Contains("adapter name 'a.b' must be non-empty and hold no '.'"));
  peft::add_adapter(*net, "other", peft::ia3{}.target_modules({"fc2"}).feedforward_modules({"fc2"}));
  CHECK(net->named_parameters().contains("fc2.ia3_other.ia3_l"));
  peft::disable_adapter off(*net);
  CHECK_THAT(message_of([&] { peft::set_adapter(*net, "other"); }),
             Catch::Contains("disabled by a live peft::disable_adapter guard"));
  Mlp bare;
  CHECK_THAT(message_of([&] { peft::set_adapter(*bare, "x"); }), Catch::Contains("holds no adapters"));
}

TEST_CASE("the named-adapter header examples run as written", "[peft][inject][named]") {
  torch::manual_seed(54);
  Mlp net;
  peft::inject(*net, peft::lora{}.r(4).target_modules({"fc1", "fc2"}));        // "default", active
  peft::add_adapter(*net, "wide", peft::lora{}.r(8).target_modules({"fc1", "fc2"}));
  peft::set_adapter(*net, "wide");                                             // now "wide" computes
  CHECK(peft::active_adapter(*net) == "wide");
  CHECK(peft::adapter_names(*net) == std::vector<std::string>{"default", "wide"});
  peft::delete_adapter(*net, "wide");
  CHECK(peft::adapter_names(*net) == std::vector<std::string>{"default"});
}
