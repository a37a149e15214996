// The program of docs/search_spaces.md: a custom search space, end to end.
#include <autopeft/model.hpp>
#include <autopeft/peft.hpp>
#include <autopeft/space/family.hpp>
#include <autopeft/space/layer_mask.hpp>
#include <autopeft/space/not_all_zero.hpp>
#include <autopeft/space/ordinal.hpp>

#include <iostream>
#include <random>

using namespace autopeft;

// [space]
// LoRA rank and prompt length (0 = off) and one switch per layer, for a 2-layer encoder.
using my_space = space::search_space<
    space::size_of<peft::lora, space::ordinal<"lora_r", 0, 2, 4, 8>>,
    space::size_of<peft::prompt_tuning, space::ordinal<"prompt_len", 0, 4, 8>>,
    space::layers_of<space::layer_mask<"layers", 2>>,
    space::not_all_zero<"lora_r", "prompt_len">,  // some module must be on
    space::not_all_zero<"layers">>;               // and some layer

static_assert(my_space::cardinality == 4 * 3 * 4);  // computed by the compiler
using family = space::family_t<my_space>;           // peft::plan<peft::lora, peft::prompt_tuning>
static_assert(!family::contains<peft::serial_adapter>);
// [space]

int main() {
  std::cout << "points: " << my_space::cardinality << ", valid: " << my_space::count_valid() << "\n";

  // [runtime]
  std::mt19937_64 rng(7);
  auto c = my_space::sample(rng);                       // a uniformly random valid point
  std::cout << "sampled: " << my_space::to_json(c).dump() << "\n";
  auto again = my_space::from_json(my_space::to_json(c));  // JSON round trip
  std::cout << "round trip equal: " << (again == c) << ", hash " << my_space::hash(c) << "\n";
  std::cout << "encoded:";
  for (double u : my_space::encode(c)) std::cout << ' ' << u;
  std::cout << "\nneighbours: " << my_space::neighbours(c).size() << "\n";
  // [runtime]

  // [model]
  auto config = model::EncoderConfig::bert_base();
  config.vocab_size = 40;
  config.hidden_size = 32;
  config.num_hidden_layers = 2;
  config.num_attention_heads = 4;
  config.intermediate_size = 64;
  const family base{peft::lora{}.lora_alpha(16).target_modules({"query", "value"}), peft::prompt_tuning{}};
  model::SequenceClassifier<family> m(config, space::to_plan(my_space{}, c, base));
  std::cout << "PEFT parameters: " << m->peft().trainable_parameters(config) << "\n";
  for (const auto& n : my_space::neighbours(c)) {
    m->reset_peft(space::to_plan(my_space{}, n, base));  // same resident backbone
    std::cout << "  " << my_space::to_json(n).dump() << " -> " << m->peft().trainable_parameters(config)
              << " parameters\n";
  }
  // [model]
  return my_space::valid(c) ? 0 : 1;
}
