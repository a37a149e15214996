// A new PEFT block written as a policy: a learned per-channel scale and shift of each selected
// layer's FFN output (a "scaled FFN" adapter). It plugs into the same plan, freezing, counting
// and composition machinery as the built-in methods.
#include <autopeft/model.hpp>
#include <autopeft/peft.hpp>

#include <iostream>

namespace my {

struct ffn_affine {
  static constexpr std::string_view name = "ffn_affine";

  struct module : torch::nn::Module {
    torch::Tensor scale, shift;
    explicit module(std::int64_t hidden) {
      scale = register_parameter("scale", torch::ones({hidden}));   // identity at init
      shift = register_parameter("shift", torch::zeros({hidden}));
    }
    torch::Tensor after_ffn(torch::Tensor h, const torch::Tensor&) { return h * scale + shift; }
  };
  using layer_module = module;
  using model_module = void;

  // The layers it adapts (empty: every layer), under HF PEFT's name: a search space's layer
  // switch sets it (space::layers_of), and the count below follows it.
  TORCH_ARG(std::vector<std::int64_t>, layers_to_transform) = {};

 public:  // TORCH_ARG leaves the access private
  std::shared_ptr<module> build_layer(const autopeft::model::layer_context& c) const {
    if (!autopeft::peft::layer_selected(layers_to_transform_, c.index)) return nullptr;
    return std::make_shared<module>(c.config.hidden_size);
  }
  std::int64_t trainable_parameters(const autopeft::model::EncoderConfig& c) const {
    const auto n = layers_to_transform_.empty() ? c.num_hidden_layers : static_cast<std::int64_t>(layers_to_transform_.size());
    return n * 2 * c.hidden_size;
  }
};

}  // namespace my

int main() {
  using namespace autopeft;
  static_assert(peft::policy<my::ffn_affine>);
  auto config = model::EncoderConfig::bert_base();
  config.vocab_size = 40;
  config.hidden_size = 32;
  config.num_hidden_layers = 2;
  config.num_attention_heads = 4;
  config.intermediate_size = 64;
  config.hidden_dropout_prob = config.attention_probs_dropout_prob = 0;

  // Composed with LoRA in one family.
  using family = peft::plan<my::ffn_affine, peft::lora>;
  const family plan{my::ffn_affine{}, peft::lora{}.r(2)};
  torch::manual_seed(0);
  model::SequenceClassifier<family> m(config, plan);
  m->backbone->init_weights(0.3);
  m->reset_peft(plan);
  const auto counts = peft::mark_trainable(m);
  std::cout << counts.str() << "\n";

  auto ids = torch::randint(6, config.vocab_size, {64, 8}, torch::kLong);
  auto labels = torch::randint(0, 2, {64}, torch::kLong);
  ids.index_put_({labels.to(torch::kBool), 3}, 5);
  std::vector<torch::Tensor> trainable;
  for (auto& p : m->parameters())
    if (p.requires_grad()) trainable.push_back(p);
  torch::optim::AdamW opt(trainable, torch::optim::AdamWOptions(1e-2));
  double first = 0, last = 0;
  for (int step = 0; step < 100; ++step) {
    auto loss = m->loss(m->forward(ids), labels);
    opt.zero_grad();
    loss.backward();
    opt.step();
    (step == 0 ? first : last) = loss.item<double>();
  }
  std::cout << "loss " << first << " -> " << last << "\n";
  const bool counted = plan.trainable_parameters(config) == counts.trainable - (config.hidden_size * 2 + 2);
  return counted && last < 0.5 * first ? 0 : 1;
}
