// The program of docs/search_spaces.md: a custom search space, end to end.
#include <autopeft/model.hpp>
#include <autopeft/peft.hpp>
#include <autopeft/space.hpp>

#include <array>
#include <cmath>
#include <iostream>
#include <random>
#include <set>

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

// [dimension]
// A dimension of our own (docs/ARCHITECTURE.md, "Add a search dimension"): the training
// precision, one of three named levels. Native value: the level's index.
struct precision {
  static constexpr std::string_view name = "precision";
  static constexpr std::size_t components = 1, levels = 3;
  static constexpr std::uint64_t cardinality = 3;
  static constexpr std::array<std::string_view, 3> names{"fp32", "bf16", "fp16"};
  static double encode(double i) { return i / 2; }                          // native -> [0, 1], for the GP
  static double decode(double u) { return std::round(std::clamp(u, 0.0, 1.0) * 2); }
  static std::vector<double> neighbours(double i) { return i == 1 ? std::vector{0., 2.} : std::vector{1.}; }
  static nlohmann::json to_json(std::span<const double> x) { return std::string(names[static_cast<std::size_t>(x[0])]); }
  static void from_json(const nlohmann::json& j, std::span<double> x, const std::string& where) {
    for (std::size_t i = 0; i < names.size(); ++i)
      if (j == names[i]) return void(x[0] = static_cast<double>(i));
    throw error(where + ": field 'precision' must be \"fp32\", \"bf16\" or \"fp16\", not " + j.dump());
  }
  static std::string_view value(std::span<const double> x) { return names[static_cast<std::size_t>(x[0])]; }  // for get<>
};
static_assert(space::dimension<precision>);

using my_space_with_precision = space::search_space<
    space::size_of<peft::lora, space::ordinal<"lora_r", 0, 2, 4, 8>>, precision,
    space::layers_of<space::layer_mask<"layers", 2>>, space::not_all_zero<"lora_r">, space::not_all_zero<"layers">>;
static_assert(my_space_with_precision::cardinality == 4 * 3 * 4);
// [dimension]

// The dimension's checks: the space enumerates, samples, encodes and reads it like its own.
int check_dimension() {
  using S = my_space_with_precision;
  int failures = 0;
  std::set<std::string_view> seen;
  std::uint64_t valid = 0;
  S::enumerate([&](const space::configuration& c) {
    ++valid;
    seen.insert(S::get<"precision">(c));
    const auto back = S::from_json(S::to_json(c));
    if (!(back == c)) ++failures;
  });
  if (valid != S::count_valid() || valid != 3 * 3 * 3 || seen.size() != 3) ++failures;  // lora_r > 0, a layer on
  std::mt19937_64 rng(1);
  const auto c = S::sample(rng);
  for (const auto& n : S::neighbours(c))
    if (!S::valid(n)) ++failures;
  try {
    (void)S::from_json(nlohmann::json{{"lora_r", 2}, {"precision", "int8"}, {"layers", {true, true}}}, "my.json");
    ++failures;  // a bad level must be refused
  } catch (const error& e) {
    std::cout << "bad precision: " << e.what() << "\n";
  }
  std::cout << "precision dimension: " << valid << " valid points, " << seen.size() << " precisions, "
            << (failures == 0 ? "ok" : "FAILED") << "\n";
  return failures;
}

int main() {
  if (check_dimension() != 0) return 1;
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
