// expect: trainable_parameters is private or has another signature: TORCH_ARG leaves the access private
// reject: lacks
#include <autopeft/peft/plan.hpp>

#include <torch/torch.h>

// The TORCH_ARG trap: the members after TORCH_ARG are private.
struct my_scale {
  static constexpr std::string_view name = "my_scale";
  using layer_module = void;
  using model_module = void;
  TORCH_ARG(double, factor) = 2.0;
  std::int64_t trainable_parameters(const autopeft::model::EncoderConfig&) const { return 0; }
};

int main() {
  autopeft::peft::plan<my_scale> p;
  (void)p;
}
