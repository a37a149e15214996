#pragma once
// The PEFT policy concept: what a PEFT method must provide to plug into autopeft.
//
// A policy is a value type holding the method's options (fluent setters with defaults, named as
// in HF PEFT: r, lora_alpha, lora_dropout, target_modules, num_virtual_tokens, ...). The minimal
// members are:
//
//   static constexpr std::string_view name;            // "lora": the module name of its modules
//   using layer_module = M;                             // a torch::nn::Module built per layer, or void
//   std::shared_ptr<M> build_layer(const model::layer_context&) const;   // null: not in this layer
//   using model_module = E;                             // a torch::nn::Module built once, or void
//   std::shared_ptr<E> build_model(const model::embedding_context&) const;
//   std::int64_t trainable_parameters(const model::EncoderConfig&) const;  // closed form
//
// Optional, for a method that trains more than it keeps (prefix tuning's reparametrisation MLP
// is a training device: after training the prefix it computes is stored, the MLP dropped):
//   std::int64_t stored_parameters(const model::EncoderConfig&) const;     // closed form
// the parameters the adapted model stores after training; absent, it equals trainable_parameters
// (stored_parameters_of(p, c) reads either). The module that folds then declares its stored form,
// so a built model can be counted and saved as stored (plan::for_each_folding_module):
//   std::int64_t stored_parameters() const;                                   // its stored count
//   std::vector<std::pair<std::string, torch::Tensor>> stored_state();        // its stored tensors
//
// Optional facts, each next to the policy, read where they are needed (no list of policies
// elsewhere names them):
//   struct size_option {                                // its "size", which a search space's
//     static void set(P&, std::int64_t);                // size_of<P, D> sets (r, bottleneck_size,
//     static std::int64_t get(const P&);                // num_virtual_tokens, ...): a sized_policy;
//   };                                                  // peft::size_member<&P::r_> is one
//   std::int64_t num_virtual_tokens() const;            // positions it puts ahead of the input
//   static constexpr std::string_view peft_type;        // HF PEFT's adapter format: see
//   nlohmann::json to_adapter_config(const model::EncoderConfig&) const;   // peft/adapter_config.hpp
//   static P from_adapter_config(const nlohmann::json&, const std::filesystem::path&);
//   static constexpr std::string_view hf_tensor_prefix; // its tensors' names in HF's files ("lora_");
//   hf_shared_tensors, hf_layer_norm_wrapper, hf_prompt_learning, hf_saves_buffers()  // see peft/hf_names.hpp
// docs/ARCHITECTURE.md ("Add a policy") walks through them.
//
// A layer module takes part at the sites it implements (each optional):
//   torch::Tensor transform_input(model::site, const torch::Tensor& x);               // linear, before
//   torch::Tensor transform_output(model::site, const torch::Tensor& x, torch::Tensor y,
//                                  torch::nn::LinearImpl& base);                     // linear, after
//   std::optional<model::prefix_kv> prefix(std::int64_t batch);                       // attention
//   torch::Tensor after_attention(torch::Tensor h);
//   torch::Tensor after_ffn(torch::Tensor h, const torch::Tensor& ffn_input);
//   std::optional<torch::Tensor> layer_norm(model::site, const torch::Tensor& x,
//                                           torch::nn::LayerNormImpl& base);
// A layer module whose update folds into the layer's Linear weights adds
//   void merge(torch::nn::Module& layer);  void unmerge(torch::nn::Module& layer);  bool merged() const;
// (linear_sites_module has them), which peft::merge_adapter and merge_and_unload call.
// A model module may implement prompt(inputs_embeds&) -> count, position_offset() and
// layer_norm(x, base) for the embeddings. Selective methods add
//   bool trains_base(const std::string& parameter_name) const;
//
// A model implementation, a per-layer learned scale on the FFN output (14 lines):
//
//   struct ffn_scale {
//     static constexpr std::string_view name = "ffn_scale";
//     struct module : torch::nn::Module {
//       torch::Tensor s;
//       explicit module(std::int64_t h) { s = register_parameter("s", torch::ones({h})); }
//       torch::Tensor after_ffn(torch::Tensor h, const torch::Tensor&) { return h * s; }
//     };
//     using layer_module = module;
//     using model_module = void;
//     std::shared_ptr<module> build_layer(const model::layer_context& c) const {
//       return std::make_shared<module>(c.config.hidden_size);
//     }
//     std::int64_t trainable_parameters(const model::EncoderConfig& c) const {
//       return c.num_hidden_layers * c.hidden_size;
//     }
//   };
//
// examples/custom_policy.cpp is a complete, tested example.
#include <autopeft/model/encoder_config.hpp>
#include <autopeft/model/no_peft.hpp>

#include <torch/torch.h>

#include <concepts>
#include <cstdint>
#include <memory>
#include <string_view>
#include <type_traits>

namespace autopeft::peft {

namespace detail {
template <class P>
concept has_name = requires { { P::name } -> std::convertible_to<std::string_view>; };
template <class P>
concept has_module_types = requires {
  typename P::layer_module;
  typename P::model_module;
};
template <class P>
concept has_count = requires(const P& p, const model::EncoderConfig& c) {
  { p.trainable_parameters(c) } -> std::convertible_to<std::int64_t>;
};
template <class P>
concept has_stored_count = requires(const P& p, const model::EncoderConfig& c) {
  { p.stored_parameters(c) } -> std::convertible_to<std::int64_t>;
};
template <class P>
concept has_size_option = requires(P& p, const P& cp, std::int64_t v) {
  P::size_option::set(p, v);
  { P::size_option::get(cp) } -> std::convertible_to<std::int64_t>;
};
template <class P>
concept has_virtual_tokens = requires(const P& p) {
  { p.num_virtual_tokens() } -> std::convertible_to<std::int64_t>;
};
template <class P>
concept builds_layer = std::is_void_v<typename P::layer_module> ||
    requires(const P& p, const model::layer_context& c) {
      { p.build_layer(c) } -> std::convertible_to<std::shared_ptr<typename P::layer_module>>;
    };
template <class P>
concept builds_model = std::is_void_v<typename P::model_module> ||
    requires(const P& p, const model::embedding_context& c) {
      { p.build_model(c) } -> std::convertible_to<std::shared_ptr<typename P::model_module>>;
    };

// Whether P declares a member of the name at all, accessible or not (a name found in P and in a
// second base is ambiguous): so that a member the concept cannot see because it is private (the
// TORCH_ARG trap: TORCH_ARG leaves the access private) is told apart from a missing one.
struct declares_trainable_parameters_probe {
  void trainable_parameters();
};
struct declares_build_layer_probe {
  void build_layer();
};
struct declares_build_model_probe {
  void build_model();
};
template <class P, class Probe>
struct declaration_probe : P, Probe {};
template <class P>
concept declares_trainable_parameters =
    std::is_class_v<P> && !std::is_final_v<P> &&
    !requires { &declaration_probe<P, declares_trainable_parameters_probe>::trainable_parameters; };
template <class P>
concept declares_build_layer =
    std::is_class_v<P> && !std::is_final_v<P> && !requires { &declaration_probe<P, declares_build_layer_probe>::build_layer; };
template <class P>
concept declares_build_model =
    std::is_class_v<P> && !std::is_final_v<P> && !requires { &declaration_probe<P, declares_build_model_probe>::build_model; };
}  // namespace detail

/// A PEFT policy (see the header comment for the members and a model implementation).
template <class P>
concept policy = std::copy_constructible<P> && detail::has_name<P> && detail::has_module_types<P> &&
                 detail::has_count<P> && detail::builds_layer<P> && detail::builds_model<P>;

/// A policy with a size option, which a search space's size_of<P, D> sets (0 switches P off).
template <class P>
concept sized_policy = policy<P> && detail::has_size_option<P>;

template <class>
inline constexpr bool dependent_false = false;

/// The parameters policy `p` stores after training (closed form): its stored_parameters where it
/// has one, else its trainable_parameters.
template <policy P>
[[nodiscard]] std::int64_t stored_parameters_of(const P& p, const model::EncoderConfig& c) {
  if constexpr (detail::has_stored_count<P>) return p.stored_parameters(c);
  else return p.trainable_parameters(c);
}

/// Checks a candidate policy at an entry point and stops at the first missing member, so the
/// compiler prints one readable message.
template <class P>
constexpr bool check_policy() {
  if constexpr (!detail::has_name<P>) {
    static_assert(dependent_false<P>,
                  "autopeft::peft::policy: the type lacks `static constexpr std::string_view name` "
                  "(see include/autopeft/peft/concepts.hpp and examples/custom_policy.cpp)");
  } else if constexpr (!detail::has_module_types<P>) {
    static_assert(dependent_false<P>,
                  "autopeft::peft::policy: the type lacks `using layer_module = ...;` or "
                  "`using model_module = ...;` (void for none; see peft/concepts.hpp)");
  } else if constexpr (!detail::has_count<P> && detail::declares_trainable_parameters<P>) {
    static_assert(dependent_false<P>,
                  "autopeft::peft::policy: the type's trainable_parameters is private or has another signature: "
                  "TORCH_ARG leaves the access private, so write `public:` after the TORCH_ARG lines; the member is "
                  "`std::int64_t trainable_parameters(const model::EncoderConfig&) const` (see peft/concepts.hpp)");
  } else if constexpr (!detail::has_count<P>) {
    static_assert(dependent_false<P>,
                  "autopeft::peft::policy: the type lacks `std::int64_t "
                  "trainable_parameters(const model::EncoderConfig&) const` (see peft/concepts.hpp)");
  } else if constexpr (!detail::builds_layer<P> && detail::declares_build_layer<P>) {
    static_assert(dependent_false<P>,
                  "autopeft::peft::policy: the type's build_layer is private or has another signature: TORCH_ARG "
                  "leaves the access private, so write `public:` after the TORCH_ARG lines; the member is "
                  "`std::shared_ptr<layer_module> build_layer(const model::layer_context&) const` (see peft/concepts.hpp)");
  } else if constexpr (!detail::builds_layer<P>) {
    static_assert(dependent_false<P>,
                  "autopeft::peft::policy: the type lacks `std::shared_ptr<layer_module> "
                  "build_layer(const model::layer_context&) const` (see peft/concepts.hpp)");
  } else if constexpr (!detail::builds_model<P> && detail::declares_build_model<P>) {
    static_assert(dependent_false<P>,
                  "autopeft::peft::policy: the type's build_model is private or has another signature: TORCH_ARG "
                  "leaves the access private, so write `public:` after the TORCH_ARG lines; the member is "
                  "`std::shared_ptr<model_module> build_model(const model::embedding_context&) const` (see peft/concepts.hpp)");
  } else if constexpr (!detail::builds_model<P>) {
    static_assert(dependent_false<P>,
                  "autopeft::peft::policy: the type lacks `std::shared_ptr<model_module> "
                  "build_model(const model::embedding_context&) const` (see peft/concepts.hpp)");
  } else if constexpr (!std::copy_constructible<P>) {
    static_assert(dependent_false<P>, "autopeft::peft::policy: the type must be copy-constructible");
  }
  return policy<P>;
}

}  // namespace autopeft::peft
