// The cost of adapting a plain torch::nn::Linear by re-parametrisation (peft::adapted_weights),
// against the same LoRA on an autopeft::peft::Linear (a side path in its forward) and against the
// frozen layer alone. One training step of one layer: forward, and backward to the input (as
// inside a network) and to the adapter; fp32 on the CPU.
//
//   bench_plain_linear --benchmark_min_time=1
// Arguments: {features (in = out), tokens, r}.
#include <autopeft/peft/adapted_weights.hpp>
#include <autopeft/peft/inject.hpp>
#include <autopeft/peft/lora.hpp>

#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <cstdint>

namespace {

namespace peft = autopeft::peft;

struct PlainImpl : torch::nn::Module {
  torch::nn::Linear fc{nullptr};
  explicit PlainImpl(std::int64_t d) { fc = register_module("fc", torch::nn::Linear(d, d)); }
  torch::Tensor forward(const torch::Tensor& x) { return fc(x); }
};
TORCH_MODULE(Plain);

struct OursImpl : torch::nn::Module {
  peft::Linear fc{nullptr};
  explicit OursImpl(std::int64_t d) { fc = register_module("fc", peft::Linear(d, d)); }
  torch::Tensor forward(const torch::Tensor& x) { return fc(x); }
};
TORCH_MODULE(Ours);

enum class kind { frozen, side_path, reparametrised };

template <kind K>
void BM_linear_step(benchmark::State& state) {
  const auto d = state.range(0), tokens = state.range(1), r = state.range(2);
  torch::manual_seed(0);
  Plain plain(d);
  Ours ours(d);
  const auto policy = peft::lora{}.r(r).lora_alpha(2.0 * static_cast<double>(r)).init_lora_weights(false).target_modules({"fc"});
  torch::nn::Module* model = plain.ptr().get();
  if constexpr (K == kind::side_path) {
    peft::inject(*ours, policy);
    model = ours.ptr().get();
  } else if constexpr (K == kind::reparametrised) {
    peft::inject(*plain, policy);
  }
  if constexpr (K == kind::side_path) peft::freeze_except_adapters(*ours);
  else if constexpr (K == kind::reparametrised) peft::freeze_except_adapters(*plain);
  else
    for (auto& w : plain->parameters()) w.set_requires_grad(false);
  const auto x = torch::randn({tokens, d}).requires_grad_(true);
  for (auto _ : state) {
    torch::Tensor y;
    if constexpr (K == kind::reparametrised) {
      peft::adapted_weights adapted(*model);
      y = plain(x);
    } else if constexpr (K == kind::side_path) {
      y = ours(x);
    } else {
      y = plain(x);
    }
    y.sum().backward();
    benchmark::DoNotOptimize(x.grad().data_ptr());
    x.mutable_grad().reset();
    for (auto& w : model->parameters()) w.mutable_grad().reset();
  }
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kIsIterationInvariantRate);
}

void shapes(benchmark::internal::Benchmark* b) {
  b->Args({256, 512, 8})->Args({768, 1024, 8})->Args({768, 4096, 8})->Args({768, 256, 8})->Unit(benchmark::kMillisecond);
}

BENCHMARK_TEMPLATE(BM_linear_step, kind::frozen)->Apply(shapes);
BENCHMARK_TEMPLATE(BM_linear_step, kind::side_path)->Apply(shapes);
BENCHMARK_TEMPLATE(BM_linear_step, kind::reparametrised)->Apply(shapes);

}  // namespace

BENCHMARK_MAIN();
