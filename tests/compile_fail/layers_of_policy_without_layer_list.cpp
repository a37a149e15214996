// expect: has layer modules but no `layers_to_transform(std::vector<std::int64_t>)` setter
#include <autopeft/model/no_peft.hpp>
#include <autopeft/peft/size_member.hpp>
#include <autopeft/space/family.hpp>
#include <autopeft/space/layer_mask.hpp>
#include <autopeft/space/ordinal.hpp>
#include <autopeft/space/search_space.hpp>

#include <torch/torch.h>

// A policy that keeps its layer list under another name (examples/custom_policy.cpp's pattern):
// a space's layer switch cannot reach it, so its count would be wrong.
struct ffn_scale {
  static constexpr std::string_view name = "ffn_scale";
  struct module : torch::nn::Module {};
  using layer_module = module;
  using model_module = void;
  std::vector<std::int64_t> layers;
  std::int64_t size = 1;
  using size_option = autopeft::peft::size_member<&ffn_scale::size>;
  std::shared_ptr<module> build_layer(const autopeft::model::layer_context&) const { return std::make_shared<module>(); }
  std::int64_t trainable_parameters(const autopeft::model::EncoderConfig& c) const { return c.num_hidden_layers * c.hidden_size; }
};

int main() {
  using namespace autopeft::space;
  using S = search_space<size_of<ffn_scale, ordinal<"scale", 0, 1>>, layers_of<layer_mask<"layers", 2>>>;
  family_t<S> plan;
  (void)plan;
}
