// The program of docs/search_spaces.md: a custom search space, end to end.
#include <autopeft/model.hpp>
#include <autopeft/peft.hpp>
#include <autopeft/space.hpp>

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
  auto c = my_space::sample(rng);                          // uniformly random valid point
  auto again = my_space::from_json(my_space::to_json(c));  // {"layers":[true,false],"lora_r":4,...}
  auto h = my_space::hash(c);                              // stable 64-bit hash, for de-duplication
  auto u = my_space::encode(c);                            // [0, 1]^d, for the GP
  auto n = my_space::neighbours(c);                        // AutoPEFT's one-dimension moves
  my_space::enumerate([](const space::configuration&) { /* every valid point */ });
  auto design = space::sample_sobol<my_space>(16, /*seed=*/7);  // scrambled Sobol initial design
  auto oh = space::encode_one_hot(my_space{}, c);         // categoricals one-hot, length one_hot_width<my_space>
  // [runtime]
  std::cout << "sampled: " << my_space::to_json(c).dump() << "\n";
  std::cout << "round trip equal: " << (again == c) << ", hash " << h << "\n";
  std::cout << "encoded:";
  for (double x : u) std::cout << ' ' << x;
  std::cout << "\nneighbours: " << n.size() << "; Sobol design: " << design.size() << " points; one-hot width "
            << oh.size() << "\n";

  // [model]
  auto config = model::EncoderConfig::bert_base();
  config.vocab_size = 40;
  config.hidden_size = 32;
  config.num_hidden_layers = 2;
  config.num_attention_heads = 4;
  config.intermediate_size = 64;
  const family base{peft::lora{}.lora_alpha(16).target_modules({"query", "value"}), peft::prompt_tuning{}};
  model::SequenceClassifier<family> m(config, space::to_plan(my_space{}, c, base));
  for (const auto& n : my_space::neighbours(c))
    m->reset_peft(space::to_plan(my_space{}, n, base));   // same resident backbone, new PEFT modules
  std::cout << "PEFT parameters: " << m->peft().trainable_parameters(config) << "\n";
  for (const auto& n : my_space::neighbours(c)) {
    m->reset_peft(space::to_plan(my_space{}, n, base));  // same resident backbone
    std::cout << "  " << my_space::to_json(n).dump() << " -> " << m->peft().trainable_parameters(config)
              << " parameters\n";
  }
  // [model]
  return my_space::valid(c) ? 0 : 1;
}
