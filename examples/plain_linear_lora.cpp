// LoRA on a model the user wrote with LibTorch's own torch::nn::Linear, without an edit to it.
//
// The model below knows nothing of autopeft. peft::inject selects its layers by HF PEFT's
// `target_modules`; the training loop holds a peft::adapted_weights guard around each step, in
// which the selected layers compute W + (alpha / r) B A. After training, merge_and_unload folds the
// update into the weights and leaves the user's model as it was written, with new weights.
//
// The task: fit a teacher that is the same network with a rank-2 change of two of its layers.
// The program exits non-zero unless the loss falls to a tenth and the merged model's outputs equal
// the adapted ones within 1e-5.
//
//   plain_linear_lora [STEPS]        (default 300)
#include <autopeft/peft/adapted_weights.hpp>
#include <autopeft/peft/inject.hpp>
#include <autopeft/peft/lora.hpp>
#include <autopeft/peft/merge_and_unload.hpp>

#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

// The user's model: a Linear member, a Sequential and a head, all plain LibTorch.
struct RegressorImpl : torch::nn::Module {
  torch::nn::Linear embed{nullptr}, head{nullptr};
  torch::nn::Sequential mlp{nullptr};
  RegressorImpl() {
    embed = register_module("embed", torch::nn::Linear(16, 64));
    mlp = register_module("mlp", torch::nn::Sequential(torch::nn::Linear(64, 128), torch::nn::GELU(),
                                                       torch::nn::Linear(128, 64)));
    head = register_module("head", torch::nn::Linear(64, 4));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto h = torch::gelu(embed(x));
    return head(h + mlp->forward(h));
  }
};
TORCH_MODULE(Regressor);

}  // namespace

int main(int argc, char** argv) {
  namespace peft = autopeft::peft;
  const int steps = argc > 1 ? std::atoi(argv[1]) : 300;
  if (steps <= 0) {
    std::fprintf(stderr, "plain_linear_lora: STEPS must be a positive integer, got '%s'\n", argv[1]);
    return 2;
  }
  torch::manual_seed(0);
  Regressor model, teacher;
  {
    torch::NoGradGuard ng;
    auto mine = model->named_parameters();
    for (auto& p : teacher->named_parameters()) p.value().copy_(mine[p.key()]);
    teacher->embed->weight.add_(torch::randn({64, 2}).matmul(torch::randn({2, 16})) * 0.2);
    teacher->mlp[2]->as<torch::nn::Linear>()->weight.add_(torch::randn({64, 2}).matmul(torch::randn({2, 128})) * 0.2);
  }
  const auto x = torch::randn({256, 16});
  const auto y = teacher(x).detach();

  // HF: get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules=["embed", "mlp.0", "mlp.2"]))
  const auto injected = peft::inject(*model, peft::lora{}.r(4).lora_alpha(8).target_modules({"embed", "mlp.0", "mlp.2"}));
  const auto counts = peft::freeze_except_adapters(*model);
  std::printf("adapted:");
  for (const auto& m : injected.modules) std::printf(" %s", m.c_str());
  std::printf("\ntrainable params: %lld || all params: %lld || trainable%%: %.4f\n",
              static_cast<long long>(counts.trainable), static_cast<long long>(counts.total),
              100.0 * static_cast<double>(counts.trainable) / static_cast<double>(counts.total));

  std::vector<torch::Tensor> trainable;
  for (auto& p : model->parameters())
    if (p.requires_grad()) trainable.push_back(p);
  torch::optim::AdamW opt(trainable, torch::optim::AdamWOptions(1e-2).weight_decay(0));
  double first = 0, last = 0;
  for (int step = 0; step < steps; ++step) {
    peft::adapted_weights adapted(*model);  // this step's W + sBA in the selected layers
    auto loss = torch::mse_loss(model->forward(x), y);
    opt.zero_grad();
    loss.backward();
    opt.step();
    last = loss.item<double>();
    if (step == 0) first = last;
    if (step % 100 == 0 || step == steps - 1) std::printf("step %4d  loss %.6f\n", step, last);
  }

  torch::Tensor adapted_out;
  {
    torch::NoGradGuard ng;
    peft::adapted_weights adapted(*model);
    adapted_out = model->forward(x);
  }
  peft::merge_and_unload(*model);  // the user's model again, with W + sBA in its weights
  torch::NoGradGuard ng;
  const double gap = (model->forward(x) - adapted_out).abs().max().item<double>();
  std::printf("loss %.6f -> %.6f; merged vs adapted outputs: max |diff| %.3g; parameters after merging: %zu\n",
              first, last, gap, model->parameters().size());
  bool ok = true;
  if (!(last < 0.1 * first)) {
    std::fprintf(stderr, "plain_linear_lora: the loss did not fall to a tenth (%.6f -> %.6f)\n", first, last);
    ok = false;
  }
  if (!(gap <= 1e-5)) {
    std::fprintf(stderr, "plain_linear_lora: merged outputs differ from the adapted ones by %.3g > 1e-5\n", gap);
    ok = false;
  }
  if (model->parameters().size() != 8) {
    std::fprintf(stderr, "plain_linear_lora: merge_and_unload left %zu parameters, not the model's 8\n",
                 model->parameters().size());
    ok = false;
  }
  return ok ? 0 : 1;
}
