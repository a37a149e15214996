// Does pretraining help? For every task of the embedded benchmark, fine-tunes the cached
// pretrained default backbone and the same architecture randomly initialised (same seed, so the
// same head initialisation, same data, same optimizer and budget), and prints a Markdown table of
// dev metrics. The backbone is built first if the cache lacks it (a few minutes).
//
//   pretrained_vs_random [--backbone DIR] [--train-samples N] [--epochs E] [--lr LR]
//                        [--batch-size B] [--max-seq-length L] [--seed S] [--threads T]
//                        [--tasks a,b,...]
#include "autopeft/passive_omp_wait.hpp"

#include <autopeft/data/embedded_benchmark.hpp>
#include <autopeft/train.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

using namespace autopeft;

namespace {

struct args {
  std::string backbone;
  std::size_t train_samples = 8000;
  std::int64_t epochs = 3;
  double lr = 3e-4;
  std::int64_t batch_size = 32;
  std::size_t max_seq_length = 128;
  std::uint64_t seed = 1;
  int threads = 0;
  std::vector<std::string> tasks;
};

args parse(int argc, char** argv) {
  args a;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::cout << "pretrained_vs_random [--backbone DIR] [--train-samples N] [--epochs E] [--lr LR]\n"
                   "                     [--batch-size B] [--max-seq-length L] [--seed S] [--threads T] [--tasks a,b]\n";
      std::exit(0);
    }
    if (i + 1 >= argc) throw error("flag " + flag + " needs a value (see --help)");
    const std::string v = argv[++i];
    if (flag == "--backbone") a.backbone = v;
    else if (flag == "--train-samples") a.train_samples = std::stoul(v);
    else if (flag == "--epochs") a.epochs = std::stoll(v);
    else if (flag == "--lr") a.lr = std::stod(v);
    else if (flag == "--batch-size") a.batch_size = std::stoll(v);
    else if (flag == "--max-seq-length") a.max_seq_length = std::stoul(v);
    else if (flag == "--seed") a.seed = std::stoull(v);
    else if (flag == "--threads") a.threads = std::stoi(v);
    else if (flag == "--tasks") {
      std::stringstream ss(v);
      for (std::string t; std::getline(ss, t, ',');) a.tasks.push_back(t);
    } else {
      throw error("unknown flag " + flag + " (see --help)");
    }
  }
  return a;
}

}  // namespace

int main(int argc, char** argv) try {
  cli::ensure_passive_omp_wait(argv);
  const auto a = parse(argc, argv);
  if (a.threads > 0) torch::set_num_threads(a.threads);
  const auto t0 = std::chrono::steady_clock::now();
  auto log = [](const std::string& s) { std::cerr << s << "\n"; };
  train::default_backbone_options cache;
  cache.progress = train::progress_printer("pretrain");
  cache.log = log;
  const auto dir = a.backbone.empty() ? train::default_backbone(cache) : std::filesystem::path(a.backbone);
  const auto backbone = train::pretrained_backbone::load(dir);
  const auto bench = data::embedded_benchmark::build();

  train::trainer_options o;
  o.num_train_epochs = a.epochs;
  o.max_train_samples = a.train_samples;
  o.learning_rate = a.lr;
  o.warmup_ratio = 0.1;
  o.weight_decay = 0.01;
  o.train_batch_size = a.batch_size;
  o.max_seq_length = std::min<std::size_t>(a.max_seq_length, static_cast<std::size_t>(backbone.max_seq_length()));
  o.seed = a.seed;
  const train::trainer trainer(o);

  struct row {
    std::string task, metric;
    double pretrained, random, seconds;
  };
  std::vector<row> rows;
  for (const auto& task : bench.tasks) {
    if (!a.tasks.empty() && std::find(a.tasks.begin(), a.tasks.end(), task.info.name) == a.tasks.end()) continue;
    const auto n = task.info.num_labels();
    const auto t = std::chrono::steady_clock::now();
    torch::manual_seed(a.seed);
    auto pretrained = backbone.sequence_classifier(n);
    const auto p = trainer.fit(pretrained, task, backbone.tokenizer(), train::progress_printer(task.info.name + " pretrained"));
    torch::manual_seed(a.seed);  // the same draws: the same head (and pooler) initialisation
    auto config = pretrained->config();
    model::SequenceClassifier<> from_scratch(config);
    const auto r = trainer.fit(from_scratch, task, backbone.tokenizer(), train::progress_printer(task.info.name + " random"));
    rows.push_back({task.info.name, data::to_string(task.info.metric), p.best_metric, r.best_metric,
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count()});
    std::fprintf(stderr, "%s: pretrained %.4f, random %.4f (%.0f s; %lld train examples, %lld steps each)\n",
                 task.info.name.c_str(), p.best_metric, r.best_metric, rows.back().seconds,
                 static_cast<long long>(p.train_examples), static_cast<long long>(p.steps));
  }

  const auto& m = backbone.manifest();
  const auto& c = backbone.config();
  std::printf("Backbone: %s (%lld layers, hidden %lld, %lld heads, FFN %lld, vocabulary %lld; %lld pretraining steps, "
              "final MLM loss %.3f)\n\n",
              m.recipe.value("name", std::string("?")).c_str(), static_cast<long long>(c.num_hidden_layers),
              static_cast<long long>(c.hidden_size), static_cast<long long>(c.num_attention_heads),
              static_cast<long long>(c.intermediate_size), static_cast<long long>(c.vocab_size),
              static_cast<long long>(m.pretraining.value("steps", 0)), m.pretraining.value("final_loss", 0.0));
  std::printf("Fine-tuning: %zu train examples at most, %lld epochs, batch %lld, lr %g (10%% warm-up, linear decay), "
              "weight decay 0.01, max %zu tokens, seed %llu; best dev metric over the epochs.\n\n",
              a.train_samples, static_cast<long long>(a.epochs), static_cast<long long>(a.batch_size), a.lr,
              o.max_seq_length, static_cast<unsigned long long>(a.seed));
  std::printf("| task | metric | pretrained | random init | difference |\n|---|---|---:|---:|---:|\n");
  for (const auto& r : rows)
    std::printf("| %s | %s | %.4f | %.4f | %+.4f |\n", r.task.c_str(), r.metric.c_str(), r.pretrained, r.random,
                r.pretrained - r.random);
  std::printf("\nTotal time %.0f s.\n", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return 0;
} catch (const std::exception& e) {
  std::cerr << "pretrained_vs_random: " << e.what() << "\n";
  return 1;
}
