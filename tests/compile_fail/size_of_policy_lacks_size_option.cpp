// expect: size_of<P, D>: policy P lacks its size option `struct size_option
#include <autopeft/space/family.hpp>
#include <autopeft/space/ordinal.hpp>
using namespace autopeft;
struct unsized {
  static constexpr std::string_view name = "unsized";
  using layer_module = void;
  using model_module = void;
  std::int64_t trainable_parameters(const model::EncoderConfig&) const { return 0; }
};
int main() {
  using S = space::search_space<space::size_of<unsized, space::ordinal<"size", 0, 8>>>;
  auto plan = space::to_plan(S{}, space::configuration{{1.0}});
  (void)plan;
}
