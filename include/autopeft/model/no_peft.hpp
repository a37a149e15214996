#pragma once
// The hook protocol between the encoder and PEFT modules, and its empty model `no_peft`.
//
// An encoder is a template over a *PEFT plan* P: `P::layer_hooks` is built once per layer and
// called at each layer site; `P::embedding_hooks` is built once per model and called at the
// prompt site. `no_peft`'s hooks are empty classes with inline identity functions, so the plain
// backbone carries no parameter and no branch for PEFT.
//
// Hooks that are LibTorch modules are registered under the name "peft" in their layer (or in
// the embeddings): every PEFT parameter's name has a ".peft." component, which is how
// checkpoints tell backbone weights from PEFT weights.
#include <autopeft/model/encoder_config.hpp>
#include <autopeft/model/site.hpp>

#include <torch/torch.h>

#include <cstdint>
#include <optional>
#include <utility>

namespace autopeft::model {

/// What a layer hook sees when it is built: the config, the layer's index and the layer module
/// (whose base sub-modules it may read, e.g. a Linear's weight for DoRA's norms).
struct layer_context {
  const EncoderConfig& config;
  std::int64_t index;
  torch::nn::Module& layer;
  /// The model's embeddings module (built before the layers), where model-level PEFT modules
  /// such as a prefix encoder live; null when a layer is built on its own.
  torch::nn::Module* embeddings = nullptr;
};

/// What the embedding hooks see: the config and the embeddings module.
struct embedding_context {
  const EncoderConfig& config;
  torch::nn::Module& embeddings;
};

/// Prefix keys and values for one layer, each [batch, heads, prefix_len, head_dim].
using prefix_kv = std::pair<torch::Tensor, torch::Tensor>;

struct no_peft {
  struct layer_hooks {
    layer_hooks(const layer_context&, const no_peft&) {}
    /// A linear site: returns the projection of x [.., in] through `base`, [.., out].
    torch::Tensor project(site, const torch::Tensor& x, torch::nn::LinearImpl& base) {
      return base.forward(x);
    }
    /// Extra keys and values for this layer's attention, or nothing.
    std::optional<prefix_kv> prefix(std::int64_t /*batch*/) { return std::nullopt; }
    /// h [B, S, H] at the after-attention site.
    torch::Tensor after_attention(torch::Tensor h) { return h; }
    /// h [B, S, H] at the after-FFN site; `ffn_input` [B, S, H] feeds a parallel module.
    torch::Tensor after_ffn(torch::Tensor h, const torch::Tensor& /*ffn_input*/) { return h; }
    /// A LayerNorm site: returns base(x), x [B, S, H].
    torch::Tensor layer_norm(site, const torch::Tensor& x, torch::nn::LayerNormImpl& base) {
      return base.forward(x);
    }
  };
  struct embedding_hooks {
    embedding_hooks(const embedding_context&, const no_peft&) {}
    /// Prepends virtual tokens to word embeddings [B, S, H]; returns how many it added.
    std::int64_t prompt(torch::Tensor& /*inputs_embeds*/) { return 0; }
    /// How far positions are shifted (HF shifts them by the prefix length when a prefix is
    /// passed as past keys and values).
    std::int64_t position_offset() { return 0; }
    /// The embeddings LayerNorm site.
    torch::Tensor layer_norm(const torch::Tensor& x, torch::nn::LayerNormImpl& base) {
      return base.forward(x);
    }
  };
};

/// Holds a hook object: as a registered sub-module when it is a LibTorch module (so its
/// parameters move with .to() and appear in named_parameters()), as a plain member otherwise.
/// Hooks are built from the context and the plan object (the runtime options of the plan's
/// policies).
template <class Hooks>
struct hook_holder {
  Hooks hooks;
  template <class Ctx, class Plan>
  hook_holder(const Ctx& ctx, const Plan& plan, torch::nn::Module&) : hooks(ctx, plan) {}
  Hooks& operator*() { return hooks; }
  Hooks* operator->() { return &hooks; }
};

template <class Hooks>
  requires std::derived_from<Hooks, torch::nn::Module>
struct hook_holder<Hooks> {
  std::shared_ptr<Hooks> hooks;
  template <class Ctx, class Plan>
  hook_holder(const Ctx& ctx, const Plan& plan, torch::nn::Module& owner)
      : hooks(std::make_shared<Hooks>(ctx, plan)) {
    // A rebuilt hook (reset_peft) replaces the previous one under the same name.
    if (owner.named_children().contains("peft")) owner.replace_module("peft", hooks);
    else owner.register_module("peft", hooks);
  }
  Hooks& operator*() { return *hooks; }
  Hooks* operator->() { return hooks.get(); }
};

}  // namespace autopeft::model
