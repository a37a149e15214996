// expect: the type lacks `std::int64_t trainable_parameters
#include <autopeft/peft/plan.hpp>
struct almost {
  static constexpr std::string_view name = "almost";
  using layer_module = void;
  using model_module = void;
};
int main() { autopeft::peft::plan<almost> p; (void)p; }
