// Our side of the GPU training-step benchmark (`bench/fair_throughput.py hf` is HF transformers +
// PEFT; bench/run_fair_throughput.sh runs both and prints the ratios).
//
// A BERT-base-shaped encoder by default (--preset bert-base|roberta-large, or --layers --hidden
// --heads --ffn), random weights, batch 32 x 128 tokens (--batch, --seq), bf16 autocast, 2-label
// sequence classification, AdamW over the trainable parameters. Methods: LoRA r=8 on query and value
// (lora_alpha 16); Pfeiffer serial adapter, bottleneck 48; prefix tuning, 32 virtual tokens
// without projection (HF PEFT's default); (IA)^3 with HF's BERT defaults; one AutoPEFT
// configuration (SA 48, PA 48, PT 24 on every layer, the reference's module options); full
// fine-tuning. The reference is the frozen backbone's forward and backward: no PEFT, every
// weight frozen, the gradient flowing through the activations only (the embeddings' output
// requires grad), which is the least any method that trains inside the network must do.
//
//   gpu_throughput [--preset bert-base|roberta-large] [--layers N --hidden N --heads N --ffn N]
//                  [--batch 32] [--seq 128] [--mask none|ones|padded] [--dtype fp32-autocast|bf16-weights]
//                  [--warmup 10] [--steps 50] [--setup-trials 20] [--seed 0] [--device cuda|cpu]
//                  [--methods frozen,lora,sa,prefix,ia3,autopeft,full,setup,setup-diag,graph-check]
//                  [--modes eager,graph] [--profile-dir DIR --profile-methods lora,...]
//
// The shape, mask and dtype flags carry the names and meanings of bench/fair_throughput.py's, so
// both sides of bench/run_fair_throughput.sh get one command line. --mask: `none` gives no mask;
// `ones` an all-ones mask tensor (the model then builds an additive mask, as HF does when handed
// one); `padded` gives row i the length seq/2 + splitmix64(seed * 1000003 + i) % (seq - seq/2 + 1),
// padding ids and mask 0 after it, the same lengths as fair_throughput.py draws. --dtype
// bf16-weights (frozen backbone stored in bf16) is reported as unsupported: the library keeps every
// parameter in fp32 under bf16 autocast. --profile-dir writes a kineto trace (the Chrome-trace JSON
// torch.profiler writes) of three steps of each --profile-methods method in each mode.
//
// Modes: `eager` is the library's training step as train::trainer runs it on a GPU
// (train::multi_tensor_adamw, no host synchronisation; the trainer would also drop an all-ones
// mask, which --mask ones deliberately does not); `graph` is the same step with the forward
// and backward replayed as a CUDA graph (train::cuda_graph_step). `graph-check` trains LoRA for a
// few steps without dropout both ways from the same weights and prints the largest difference.
//
// Prints one JSON object per line on stdout, each with a `shape` object (preset, layers, hidden,
// heads, ffn, batch, seq, mask, dtype, and real_tokens, the unpadded tokens read off the mask):
// per method tokens_per_s (batch * seq / median step), step_ms, peak_mib (the caching
// allocator's peak of allocated bytes over warm-up and timed steps, model and optimiser state included), trainable parameters, a gradient check and a
// forward / backward / optimiser breakdown; then the trial set-up time of the AutoPEFT
// configuration on the resident backbone (reset_peft + mark_trainable + AdamW).
#include <autopeft/model/sequence_classifier.hpp>
#include <autopeft/peft/ia3.hpp>
#include <autopeft/peft/lora.hpp>
#include <autopeft/peft/plan.hpp>
#include <autopeft/peft/prefix_tuning.hpp>
#include <autopeft/peft/serial_adapter.hpp>
#include <autopeft/peft/trainable.hpp>
#include <autopeft/space/spaces/autopeft_space.hpp>
#include <autopeft/train/autocast.hpp>
#include <autopeft/train/cuda_graph_step.hpp>
#include <autopeft/train/multi_tensor_adamw.hpp>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <torch/csrc/autograd/profiler_kineto.h>

#if defined(AUTOPEFT_WITH_CUDA)
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDACachingAllocator.h>
#endif

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

namespace {

using namespace autopeft;
using json = nlohmann::json;
using clock_type = std::chrono::steady_clock;

struct options {
  std::string preset = "bert-base";
  std::int64_t layers = 0, hidden = 0, heads = 0, ffn = 0;  // 0: the preset's
  std::int64_t batch = 32;
  std::int64_t seq = 128;
  std::string mask = "none";
  std::string dtype = "fp32-autocast";
  std::uint64_t seed = 0;
  torch::Device device{torch::kCUDA};
  std::string profile_dir;
  std::set<std::string> profile_methods;
  int warmup = 10;
  int steps = 50;
  int setup_trials = 20;
  std::set<std::string> methods{"frozen", "lora", "sa", "prefix", "ia3", "autopeft", "full", "setup", "graph-check"};
  std::vector<std::string> modes{"eager", "graph"};
};

// The presets' shapes as HF's bert-base-uncased and roberta-large configs give them.
model::EncoderConfig config_of(const options& o) {
  model::EncoderConfig c;
  if (o.preset == "roberta-large") {
    c = model::EncoderConfig::roberta_base();
    c.num_hidden_layers = 24;
    c.hidden_size = 1024;
    c.num_attention_heads = 16;
    c.intermediate_size = 4096;
  } else if (o.preset != "bert-base") {
    throw std::invalid_argument("--preset: unknown preset '" + o.preset + "' (bert-base, roberta-large)");
  }
  if (o.layers > 0) c.num_hidden_layers = o.layers;
  if (o.hidden > 0) c.hidden_size = o.hidden;
  if (o.heads > 0) c.num_attention_heads = o.heads;
  if (o.ffn > 0) c.intermediate_size = o.ffn;
  c.validate("gpu_throughput (--preset, --layers, --hidden, --heads, --ffn)");
  return c;
}

json shape_of(const options& o, const model::EncoderConfig& c) {
  return {{"preset", o.preset}, {"layers", c.num_hidden_layers}, {"hidden", c.hidden_size},
          {"heads", c.num_attention_heads}, {"ffn", c.intermediate_size}, {"batch", o.batch},
          {"seq", o.seq}, {"mask", o.mask}, {"dtype", o.dtype}};
}

// splitmix64 (Steele, Lea and Flood 2014): a one-line hash that fair_throughput.py repeats
// exactly, so both sides pad the same rows to the same lengths without sharing a generator.
std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

std::vector<std::int64_t> padded_lengths(std::int64_t batch, std::int64_t seq, std::uint64_t seed) {
  std::vector<std::int64_t> out;
  const auto lo = seq / 2;
  const auto span = static_cast<std::uint64_t>(seq - lo + 1);
  for (std::int64_t i = 0; i < batch; ++i)
    out.push_back(lo + static_cast<std::int64_t>(splitmix64(seed * 1000003ULL + static_cast<std::uint64_t>(i)) % span));
  return out;
}

void sync() {
  if (torch::cuda::is_available()) torch::cuda::synchronize();
}

// The caching allocator's peak of allocated bytes: zero where LibTorch was built without CUDA.
void reset_peak() {
#if defined(AUTOPEFT_WITH_CUDA)
  if (torch::cuda::is_available()) c10::cuda::CUDACachingAllocator::resetPeakStats(static_cast<c10::DeviceIndex>(0));
#endif
}
double peak_mib() {
#if defined(AUTOPEFT_WITH_CUDA)
  if (torch::cuda::is_available()) {
    const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(static_cast<c10::DeviceIndex>(0));
    return static_cast<double>(stats.allocated_bytes[0].peak) / (1 << 20);  // [0]: StatType::AGGREGATE
  }
#endif
  return 0;
}

double seconds_since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const auto n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct batch_data {
  torch::Tensor ids, labels, mask;  // mask undefined for --mask none
};

// Token ids drawn above the padding id (RoBERTa derives positions from it); padded positions
// hold the padding id and mask 0.
batch_data make_batch(const options& o, const model::EncoderConfig& c) {
  torch::manual_seed(static_cast<std::uint64_t>(o.seed));
  auto ids = torch::randint(c.pad_token_id + 1, c.vocab_size, {o.batch, o.seq}, torch::kLong);
  auto labels = torch::randint(0, c.num_labels, {o.batch}, torch::kLong);
  torch::Tensor mask;
  if (o.mask != "none") {
    mask = torch::ones({o.batch, o.seq}, torch::kLong);
    if (o.mask == "padded") {
      const auto lengths = padded_lengths(o.batch, o.seq, o.seed);
      for (std::int64_t i = 0; i < o.batch; ++i) {
        mask[i].slice(0, lengths[static_cast<std::size_t>(i)]).fill_(0);
        ids[i].slice(0, lengths[static_cast<std::size_t>(i)]).fill_(c.pad_token_id);
      }
    }
    mask = mask.to(o.device);
  }
  return {ids.to(o.device), labels.to(o.device), mask};
}

// Three steps under LibTorch's kineto profiler, saved as the Chrome-trace JSON that
// torch.profiler's export_chrome_trace writes, so fair_throughput.py reads both sides' kernels
// with one parser. GPU activity only on a GPU (the CPU operators would make the trace ten times
// larger and add nothing to a kernel breakdown).
constexpr int profile_steps = 3;

void profile_to(const std::string& path, const std::function<void()>& step, bool cuda) {
  using torch::profiler::impl::ActivityType;
  const torch::profiler::impl::ProfilerConfig config(torch::profiler::impl::ProfilerState::KINETO);
  const std::set<ActivityType> activities{cuda ? ActivityType::CUDA : ActivityType::CPU};
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  sync();
  torch::autograd::profiler::prepareProfiler(config, activities);
  torch::autograd::profiler::enableProfiler(config, activities);
  for (int i = 0; i < profile_steps; ++i) step();
  sync();
  torch::autograd::profiler::disableProfiler()->save(path);
}

std::vector<torch::Tensor> trainable_of(torch::nn::Module& m) {
  std::vector<torch::Tensor> out;
  for (auto& p : m.parameters())
    if (p.requires_grad()) out.push_back(p);
  return out;
}

// A step's parts. In eager mode `forward` is set and the breakdown times forward and backward
// apart (each synchronised); in graph mode only `forward_backward` (the graph replay) is.
struct phases {
  std::function<torch::Tensor()> forward_backward;  // returns the scalar loss
  std::function<void()> optimiser;                  // empty for the frozen reference
  std::function<torch::Tensor()> forward;           // eager mode only
};

json time_method(const std::string& name, const std::string& mode, torch::nn::Module& model, const phases& p,
                 const options& o, const json& shape) {
  const auto params = trainable_of(model);
  std::int64_t trainable = 0;
  for (const auto& t : params) trainable += t.numel();
  auto step = [&] {
    p.forward_backward();
    if (p.optimiser) p.optimiser();
  };
  sync();
  reset_peak();
  // A first step, checked: every trainable tensor must receive a gradient (at initialisation some
  // are zero: LoRA's A while B is zero, an adapter's down projection while up is zero).
  const auto t_first = clock_type::now();
  p.forward_backward();
  int without_grad = 0;
  for (const auto& t : params)
    if (!t.grad().defined()) ++without_grad;
  if (p.optimiser) p.optimiser();
  sync();
  const double first_s = seconds_since(t_first);
  for (int i = 0; i < o.warmup; ++i) step();
  // issue: the host's time to enqueue a step (the forward's input check synchronises once); a
  // step whose issue time is close to its total is bound by the host, not by the GPU.
  std::vector<double> times, issue;
  for (int i = 0; i < o.steps; ++i) {
    sync();
    const auto t = clock_type::now();
    step();
    issue.push_back(seconds_since(t));
    sync();
    times.push_back(seconds_since(t));
  }
  const double peak = peak_mib();
  // Breakdown (not part of the figures above): each phase synchronised on its own.
  std::vector<double> f, b, u;
  for (int i = 0; i < 10; ++i) {
    sync();
    auto t = clock_type::now();
    if (p.forward) {
      auto l = p.forward();
      sync();
      f.push_back(seconds_since(t));
      t = clock_type::now();
      l.backward();
    } else {
      p.forward_backward();
    }
    sync();
    b.push_back(seconds_since(t));
    t = clock_type::now();
    if (p.optimiser) p.optimiser();
    sync();
    u.push_back(seconds_since(t));
  }
  const double med = median(times);
  // A profile that cannot be taken (a LibTorch built without kineto) costs the trace, not the timing.
  json trace = nullptr, profile_error = nullptr;
  if (!o.profile_dir.empty() && o.profile_methods.contains(name)) {
    const auto path = o.profile_dir + "/ours." + name + "." + mode + ".trace.json";
    try {
      profile_to(path, step, o.device.is_cuda());
      trace = path;
    } catch (const std::exception& e) {
      std::string what = e.what();
      profile_error = what.substr(0, what.find('\n'));  // c10 errors append a backtrace
    }
  }
  return {{"side", "ours"},
          {"method", name},
          {"mode", mode},
          {"shape", shape},
          {"batch", o.batch},
          {"tokens_per_s", static_cast<double>(o.batch * o.seq) / med},
          {"step_ms", med * 1e3},
          {"issue_ms", median(issue) * 1e3},
          {"peak_mib", peak},
          {"trainable", trainable},
          {"trainable_tensors", params.size()},
          {"tensors_without_grad", without_grad},
          {"first_step_s", first_s},
          {"forward_ms", f.empty() ? json(nullptr) : json(median(f) * 1e3)},
          {p.forward ? "backward_ms" : "forward_backward_ms", median(b) * 1e3},
          {"optimiser_ms", median(u) * 1e3},
          {"profile_trace", trace},
          {"profile_error", profile_error},
          {"profile_steps", profile_steps}};
}

// With model::no_peft this is full fine-tuning: every weight trains.
template <class Plan>
json bench_peft(const std::string& name, const std::string& mode, const model::EncoderConfig& config, Plan plan,
                const batch_data& d, const options& o, const json& shape) {
  torch::manual_seed(0);
  model::SequenceClassifier<Plan> m(config, std::move(plan));
  m->to(o.device);
  if constexpr (std::is_same_v<Plan, model::no_peft>) {
    for (auto& p : m->parameters()) p.set_requires_grad(true);
  } else {
    peft::mark_trainable(m);
  }
  m->train();
  const auto params = trainable_of(*m);
  train::multi_tensor_adamw opt(params, torch::optim::AdamWOptions(1e-4));
  auto forward = [&] {
    train::autocast_guard ac;
    return m->loss(m->forward(d.ids, d.mask), d.labels);
  };
  if (mode == "graph") {
    train::cuda_graph_step graphed(params, forward);
    phases p{[&] { return graphed.run(); }, [&] { opt.step(); }, {}};
    auto r = time_method(name, mode, *m, p, o, shape);
    r["graphed"] = graphed.graphed();
    return r;
  }
  phases p{[&] {
             auto loss = forward();
             loss.backward();
             return loss;
           },
           [&] {
             opt.step();
             opt.zero_grad();
           },
           forward};
  return time_method(name, mode, *m, p, o, shape);
}

// LoRA trained for a few steps without dropout, eagerly and through a CUDA graph, from the same
// weights on the same batch: the largest difference of any trainable parameter and of the loss.
json graph_check(model::EncoderConfig config, const batch_data& d, const options& o) {
  config.hidden_dropout_prob = 0;
  config.attention_probs_dropout_prob = 0;
  config.classifier_dropout = 0;
  const auto plan = peft::plan<peft::lora>{peft::lora{}.r(8).lora_alpha(16).target_modules({"query", "value"})};
  auto train_steps = [&](bool graph, int steps) {
    torch::manual_seed(0);
    model::SequenceClassifier<peft::plan<peft::lora>> m(config, plan);
    m->to(o.device);
    peft::mark_trainable(m);
    m->train();
    const auto params = trainable_of(*m);
    train::multi_tensor_adamw opt(params, torch::optim::AdamWOptions(1e-3));
    auto forward = [&] {
      train::autocast_guard ac;
      return m->loss(m->forward(d.ids, d.mask), d.labels);
    };
    train::cuda_graph_step graphed(params, forward, 2);
    std::vector<double> losses;
    for (int i = 0; i < steps; ++i) {
      torch::Tensor loss;
      if (graph) {
        loss = graphed.run();
      } else {
        for (const auto& p : params) p.mutable_grad() = torch::Tensor();
        loss = forward();
        loss.backward();
      }
      losses.push_back(loss.item<double>());
      opt.step();
    }
    std::vector<torch::Tensor> out;
    for (const auto& p : params) out.push_back(p.detach().clone());
    return std::make_tuple(out, losses, graphed.graphed());
  };
  const auto [a, la, ga] = train_steps(false, 8);
  const auto [b, lb, gb] = train_steps(true, 8);
  double max_param = 0, max_loss = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    max_param = std::max(max_param, (a[i] - b[i]).abs().max().item<double>());
  for (std::size_t i = 0; i < la.size(); ++i) max_loss = std::max(max_loss, std::abs(la[i] - lb[i]));
  return {{"side", "ours"},       {"method", "graph-check"}, {"steps", la.size()},       {"graphed", gb},
          {"max_abs_param_diff", max_param}, {"max_abs_loss_diff", max_loss}, {"eager_losses", la}, {"graph_losses", lb}};
}

// The reference: forward of the plain backbone (and its frozen head) with every weight frozen;
// backward from the loss through the activations only.
json bench_frozen(const std::string& mode, const model::EncoderConfig& config, const batch_data& d, const options& o,
                  const json& shape) {
  torch::manual_seed(0);
  model::SequenceClassifier<> m(config);
  m->to(o.device);
  for (auto& p : m->parameters()) p.set_requires_grad(false);
  m->train();
  auto& bb = *m->backbone;
  auto forward = [&] {
    train::autocast_guard ac;
    auto emb = bb.embeddings->forward(d.ids, d.mask);
    auto x = emb.embeddings.requires_grad_(true);
    // As EncoderModel: an additive mask only where the input carries one.
    const auto mask = d.mask.defined() ? model::additive_mask(emb.attention_mask, x.scalar_type()) : torch::Tensor();
    for (auto& layer : bb.layers) x = layer->forward(x, mask);
    auto pooled = torch::tanh(bb.pooler_dense->forward(x.select(1, 0)));
    auto logits = m->classifier->forward(torch::dropout(pooled, config.head_dropout(), true));
    return m->loss(logits, d.labels);
  };
  if (mode == "graph") {
    train::cuda_graph_step graphed({}, forward);
    phases p{[&] { return graphed.run(); }, {}, {}};
    auto r = time_method("frozen", mode, *m, p, o, shape);
    r["graphed"] = graphed.graphed();
    return r;
  }
  phases p{[&] {
             auto loss = forward();
             loss.backward();
             return loss;
           },
           {},
           forward};
  return time_method("frozen", mode, *m, p, o, shape);
}

// AutoPEFT's SA + PA + PT family with the reference's module options; one configuration.
using autopeft_space = space::autopeft_space<12>;
using autopeft_family = space::family_t<autopeft_space>;

autopeft_family autopeft_plan() {
  const auto c = autopeft_space::from_json(
      {{"sa", 48}, {"pa", 48}, {"pt", 24}, {"layers", std::vector<bool>(12, true)}});
  return space::to_plan(autopeft_space{}, c, space::autopeft_base_plan<12>());
}

// Setting up a new trial on the resident backbone: new PEFT modules, freezing, a new optimiser.
json bench_setup(const std::string& name, const model::EncoderConfig& config, const autopeft_family& plan,
                 const options& o) {
  torch::manual_seed(0);
  model::SequenceClassifier<autopeft_family> m(config, plan);
  m->to(o.device);
  std::vector<double> total, reset, mark, optim;
  for (int i = 0; i < o.setup_trials; ++i) {
    sync();
    const auto t0 = clock_type::now();
    m->reset_peft(plan);
    sync();
    const auto t1 = clock_type::now();
    peft::mark_trainable(m);
    const auto t2 = clock_type::now();
    train::multi_tensor_adamw opt(trainable_of(*m), torch::optim::AdamWOptions(1e-4));
    sync();
    const auto t3 = clock_type::now();
    total.push_back(std::chrono::duration<double>(t3 - t0).count());
    reset.push_back(std::chrono::duration<double>(t1 - t0).count());
    mark.push_back(std::chrono::duration<double>(t2 - t1).count());
    optim.push_back(std::chrono::duration<double>(t3 - t2).count());
  }
  return {{"side", "ours"},
          {"method", name},
          {"trial_setup_ms", median(total) * 1e3},
          {"reset_peft_ms", median(reset) * 1e3},
          {"mark_trainable_ms", median(mark) * 1e3},
          {"optimiser_ms", median(optim) * 1e3},
          {"trials", o.setup_trials}};
}

std::set<std::string> split(const std::string& v) {
  std::set<std::string> out;
  std::stringstream ss(v);
  for (std::string m; std::getline(ss, m, ',');)
    if (!m.empty()) out.insert(m);
  return out;
}

options parse(int argc, char** argv) {
  options o;
  auto one_of = [](const std::string& flag, const std::string& v, std::initializer_list<const char*> allowed) {
    std::string list;
    for (const auto* a : allowed) {
      if (v == a) return v;
      list += std::string(list.empty() ? "" : ", ") + a;
    }
    throw std::invalid_argument(flag + ": unknown value '" + v + "' (" + list + ")");
  };
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) throw std::invalid_argument("flag " + flag + " needs a value");
    const std::string v = argv[++i];
    if (flag == "--batch") o.batch = std::stoll(v);
    else if (flag == "--seq") o.seq = std::stoll(v);
    else if (flag == "--preset") o.preset = one_of(flag, v, {"bert-base", "roberta-large"});
    else if (flag == "--layers") o.layers = std::stoll(v);
    else if (flag == "--hidden") o.hidden = std::stoll(v);
    else if (flag == "--heads") o.heads = std::stoll(v);
    else if (flag == "--ffn") o.ffn = std::stoll(v);
    else if (flag == "--mask") o.mask = one_of(flag, v, {"none", "ones", "padded"});
    else if (flag == "--dtype") o.dtype = one_of(flag, v, {"fp32-autocast", "bf16-weights"});
    else if (flag == "--seed") o.seed = std::stoull(v);
    else if (flag == "--device") o.device = torch::Device(one_of(flag, v, {"cuda", "cpu"}) == "cpu" ? torch::kCPU : torch::kCUDA);
    else if (flag == "--warmup") o.warmup = std::stoi(v);
    else if (flag == "--steps") o.steps = std::stoi(v);
    else if (flag == "--setup-trials") o.setup_trials = std::stoi(v);
    else if (flag == "--profile-dir") o.profile_dir = v;
    else if (flag == "--profile-methods") o.profile_methods = split(v);
    else if (flag == "--modes") {
      o.modes.clear();
      for (const auto& m : split(v)) o.modes.push_back(one_of(flag, m, {"eager", "graph"}));
      std::sort(o.modes.begin(), o.modes.end());  // eager before graph, whatever the order given
    } else if (flag == "--methods") {
      o.methods = split(v);
    } else {
      throw std::invalid_argument("unknown flag " + flag +
                                  " (use --preset, --layers, --hidden, --heads, --ffn, --batch, --seq, --mask, --dtype, "
                                  "--seed, --device, --warmup, --steps, --setup-trials, --methods a,b,..., "
                                  "--modes eager,graph, --profile-dir DIR, --profile-methods a,b,...)");
    }
  }
  if (o.steps < 1) throw std::invalid_argument("--steps must be at least 1");
  if (o.batch < 1 || o.seq < 2) throw std::invalid_argument("--batch must be at least 1 and --seq at least 2");
  return o;
}

}  // namespace

int main(int argc, char** argv) try {
  const auto o = parse(argc, argv);
  if (o.device.is_cuda() && !torch::cuda::is_available()) {
    std::cerr << "gpu_throughput: no CUDA device is visible; this benchmark times training steps on a GPU "
                 "(--device cpu runs it on the CPU, to check the program)\n";
    return 2;
  }
  json versions{{"torch", std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
                              std::to_string(TORCH_VERSION_PATCH)},
                {"device", o.device.is_cuda() ? "cuda" : "cpu"}};
#if defined(AUTOPEFT_WITH_CUDA)
  if (o.device.is_cuda()) versions["gpu"] = at::cuda::getCurrentDeviceProperties()->name;
#endif
  std::cout << json{{"side", "ours"}, {"versions", versions}}.dump() << std::endl;
  const auto config = config_of(o);  // 2 labels, dropout 0.1 as HF's configs
  const auto d = make_batch(o, config);
  auto shape = shape_of(o, config);
  // Read off the mask itself, so the table can check that both sides padded the same tokens.
  shape["real_tokens"] = d.mask.defined() ? d.mask.sum().item<std::int64_t>() : o.batch * o.seq;

  auto emit = [&](const std::string& method, const std::string& mode, const std::function<json()>& f) {
    if (!o.methods.contains(method)) return;
    try {
      std::cout << f().dump() << std::endl;
    } catch (const std::exception& e) {
      std::string what = e.what();
      if (const auto cut = what.find('\n'); cut != std::string::npos) what.resize(cut);
      std::cout << json{{"side", "ours"}, {"method", method}, {"mode", mode}, {"shape", shape}, {"error", what}}.dump()
                << std::endl;
    }
  };
  if (o.dtype == "bf16-weights") {
    // Said plainly rather than approximated: casting the module by hand would store the trainable
    // PEFT weights in bf16 too, and LayerNorm would cast its bf16 weights back to fp32 every step.
    const std::string why =
        "unsupported: autopeft cannot yet store the frozen backbone in bf16 (model/ and train/ keep every "
        "parameter in fp32 and train under bf16 autocast); not measured";
    std::cerr << "gpu_throughput: --dtype bf16-weights: " << why << "\n";
    for (const auto& mode : o.modes)
      for (const auto& method : o.methods)
        if (method != "setup" && method != "setup-diag" && method != "graph-check")
          emit(method, mode, [&]() -> json { throw std::runtime_error(why); });
    return 0;
  }
  for (const auto& mode : o.modes) {
    emit("frozen", mode, [&] { return bench_frozen(mode, config, d, o, shape); });
    emit("lora", mode, [&] {
      return bench_peft("lora", mode, config,
                        peft::plan<peft::lora>{peft::lora{}.r(8).lora_alpha(16).target_modules({"query", "value"})}, d, o,
                        shape);
    });
    emit("sa", mode, [&] {
      return bench_peft("sa", mode, config,
                        peft::plan<peft::serial_adapter>{
                            peft::serial_adapter{}.bottleneck_size(48).placement(peft::serial_adapter::pfeiffer)},
                        d, o, shape);
    });
    emit("prefix", mode, [&] {
      return bench_peft("prefix", mode, config,
                        peft::plan<peft::prefix_tuning>{
                            peft::prefix_tuning{}.num_virtual_tokens(32).prefix_projection(false)},
                        d, o, shape);
    });
    emit("ia3", mode, [&] { return bench_peft("ia3", mode, config, peft::plan<peft::ia3>{peft::ia3{}}, d, o, shape); });
    emit("autopeft", mode, [&] {
      if (config.num_hidden_layers != 12)
        throw std::invalid_argument("the bench's AutoPEFT configuration is for 12 layers (space::autopeft_space<12>)");
      return bench_peft("autopeft", mode, config, autopeft_plan(), d, o, shape);
    });
    emit("full", mode, [&] { return bench_peft("full", mode, config, model::no_peft{}, d, o, shape); });
  }
  emit("graph-check", "", [&] { return graph_check(config, d, o); });
  if (config.num_hidden_layers == 12) {  // the set-up figures are for the 12-layer AutoPEFT configuration
    emit("setup", "", [&] { return bench_setup("setup", config, autopeft_plan(), o); });
    // Where reset_peft's time goes: the same configuration without the prefix's MLP, and without PT.
    emit("setup-diag", "", [&] {
      auto no_mlp = autopeft_plan();
      no_mlp.get<peft::prefix_tuning>().prefix_projection(false);
      auto no_pt = autopeft_plan();
      no_pt.enable<peft::prefix_tuning>(false);
      auto a = bench_setup("setup, prefix without projection", config, no_mlp, o);
      auto b = bench_setup("setup, SA + PA only", config, no_pt, o);
      return json{{"side", "ours"}, {"method", "setup-diag"}, {"variants", {a, b}}};
    });
  }
  return 0;
} catch (const std::exception& e) {
  std::cerr << "gpu_throughput: " << e.what() << "\n";
  return 1;
}
