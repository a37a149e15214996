// Trains a handful of PEFT configurations of one small encoder on a synthetic classification
// task, measures dev accuracy and trainable parameters (% of the backbone), and prints the
// Pareto front and its hypervolume: the AutoPEFT objective pair, on configurations chosen by
// hand. The search itself (autopeft search) replaces the hand-made list by MOBO proposals.
//
//   peft_pareto [--steps N] [--seed S]
#include <autopeft/mobo/pareto.hpp>
#include <autopeft/model.hpp>
#include <autopeft/peft/lora.hpp>
#include <autopeft/peft/parallel_adapter.hpp>
#include <autopeft/peft/plan.hpp>
#include <autopeft/peft/prefix_tuning.hpp>
#include <autopeft/peft/serial_adapter.hpp>
#include <autopeft/peft/trainable.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>

using namespace autopeft;

namespace {

struct task {
  torch::Tensor train_ids, train_labels, dev_ids, dev_labels;
};

// Label: which of three marker tokens occurs most often in the sequence.
task make_task(std::int64_t vocab, std::int64_t n_train, std::int64_t n_dev, std::int64_t len) {
  auto make = [&](std::int64_t n) {
    auto ids = torch::randint(6, vocab, {n, len}, torch::kLong);
    auto labels = torch::randint(0, 3, {n}, torch::kLong);
    for (std::int64_t i = 0; i < n; ++i) {
      const auto y = labels[i].item<std::int64_t>();
      for (std::int64_t j = 0; j < 4; ++j) ids.index_put_({i, torch::randint(1, len, {1}).item<std::int64_t>()}, 3 + y);
    }
    return std::pair{ids, labels};
  };
  auto [a, b] = make(n_train);
  auto [c, d] = make(n_dev);
  return {a, b, c, d};
}

// AutoPEFT's SA + PA + PT family, with LoRA beside it.
using family = peft::plan<peft::serial_adapter, peft::parallel_adapter, peft::prefix_tuning, peft::lora>;

struct candidate {
  std::string name;
  family plan;
};

}  // namespace

int main(int argc, char** argv) try {
  int steps = 150;
  std::uint64_t seed = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--steps") steps = std::stoi(argv[i + 1]);
    else if (flag == "--seed") seed = std::stoull(argv[i + 1]);
    else throw std::invalid_argument("unknown flag " + flag + " (use --steps N, --seed S)");
  }
  torch::manual_seed(seed);
  auto config = model::EncoderConfig::bert_base();
  config.vocab_size = 64;
  config.hidden_size = 64;
  config.num_hidden_layers = 4;
  config.num_attention_heads = 4;
  config.intermediate_size = 128;
  config.max_position_embeddings = 64;
  config.num_labels = 3;
  config.hidden_dropout_prob = config.attention_probs_dropout_prob = 0;
  const auto data = make_task(config.vocab_size, 512, 256, 16);

  // Every configuration is a point of one family; a policy a configuration does not use is
  // switched off (it builds no module).
  auto only = [](std::initializer_list<int> on, family f) {
    f.enabled = {false, false, false, false};
    for (int i : on) f.enabled[static_cast<std::size_t>(i)] = true;
    return f;
  };
  const family defaults{peft::serial_adapter{}, peft::parallel_adapter{}, peft::prefix_tuning{}, peft::lora{}};
  auto with = [&](auto policy) {
    family f = defaults;
    f.template get<decltype(policy)>() = policy;
    return f;
  };
  std::vector<candidate> candidates{
      {"head only", only({}, defaults)},
      {"LoRA r=1 q,v", only({3}, with(peft::lora{}.r(1).lora_alpha(2)))},
      {"LoRA r=8 q,v", only({3}, with(peft::lora{}.r(8).lora_alpha(16)))},
      {"SA 8", only({0}, with(peft::serial_adapter{}.bottleneck_size(8)))},
      {"PA 32", only({1}, with(peft::parallel_adapter{}.bottleneck_size(32)))},
      {"PT 4", only({2}, with(peft::prefix_tuning{}.num_virtual_tokens(4)))},
      {"SA 2 + PA 2, layers 2-3",
       only({0, 1}, family{peft::serial_adapter{}.bottleneck_size(2), peft::parallel_adapter{}.bottleneck_size(2),
                           peft::prefix_tuning{}, peft::lora{}}.layers_on({false, false, true, true}))},
  };

  // One backbone, kept resident: each configuration rebuilds only the PEFT modules.
  model::SequenceClassifier<family> m(config, candidates.front().plan);
  m->backbone->init_weights(0.3);
  std::int64_t backbone = 0;
  for (auto& p : m->backbone->named_parameters())
    if (!peft::is_peft_parameter(p.key())) backbone += p.value().numel();

  std::vector<double> objectives;  // (accuracy, -% params) per configuration, maximised
  std::printf("%-26s %12s %9s %9s %7s\n", "configuration", "PEFT params", "% params", "dev acc", "time");
  for (auto& c : candidates) {
    const auto t0 = std::chrono::steady_clock::now();
    torch::manual_seed(seed + 1);
    m->reset_peft(c.plan);
    m->init_head();
    peft::mark_trainable(m);
    std::vector<torch::Tensor> params;
    std::int64_t peft_params = 0;
    for (auto& p : m->named_parameters())
      if (p.value().requires_grad()) {
        params.push_back(p.value());
        if (peft::is_peft_parameter(p.key())) peft_params += p.value().numel();
      }
    torch::optim::AdamW opt(params, torch::optim::AdamWOptions(3e-3));
    m->train();
    for (int step = 0; step < steps; ++step) {
      auto idx = torch::randint(0, data.train_ids.size(0), {32}, torch::kLong);
      auto loss = m->loss(m->forward(data.train_ids.index_select(0, idx)), data.train_labels.index_select(0, idx));
      opt.zero_grad();
      loss.backward();
      opt.step();
    }
    m->eval();
    torch::NoGradGuard ng;
    const double acc = m->forward(data.dev_ids).argmax(1).eq(data.dev_labels).to(torch::kDouble).mean().item<double>();
    const double pct = 100.0 * static_cast<double>(peft_params) / static_cast<double>(backbone);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%-26s %12lld %8.3f%% %9.4f %6.1fs\n", c.name.c_str(), static_cast<long long>(peft_params), pct, acc, secs);
    std::fflush(stdout);
    objectives.push_back(acc);
    objectives.push_back(-pct);
  }
  const auto n = static_cast<std::int64_t>(candidates.size());
  auto Y = torch::tensor(objectives, torch::kDouble).view({n, 2});
  auto front = mobo::is_non_dominated(Y);
  std::cout << "\nPareto front (dev accuracy up, % parameters down):\n";
  for (std::int64_t i = 0; i < n; ++i)
    if (front[i].item<bool>())
      std::printf("  %-26s acc %.4f  params %.3f%%\n", candidates[static_cast<std::size_t>(i)].name.c_str(),
                  Y[i][0].item<double>(), -Y[i][1].item<double>());
  // AutoPEFT's reference point: 0.7 metric... here a chance-level 1/3 accuracy and 26 % params.
  const auto hv = mobo::hypervolume(Y, torch::tensor({1.0 / 3.0, -26.0}, torch::kDouble));
  std::printf("hypervolume (ref: accuracy 1/3, 26%% params) = %.4f\n", hv);
  return 0;
} catch (const std::exception& e) {
  std::cerr << "peft_pareto: " << e.what() << "\n";
  return 1;
}
