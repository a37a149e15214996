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
    explicit layer_hooks(const layer_context&) {}
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
  };
  struct embedding_hooks {
    explicit embedding_hooks(const embedding_context&) {}
    /// Prepends virtual tokens to word embeddings [B, S, H]; returns how many it added.
    std::int64_t prompt(torch::Tensor& /*inputs_embeds*/) { return 0; }
  };
};

/// Holds a hook object: as a registered sub-module when it is a LibTorch module (so its
/// parameters move with .to() and appear in named_parameters()), as a plain member otherwise.
template <class Hooks>
struct hook_holder {
  Hooks hooks;
  template <class Ctx>
  hook_holder(const Ctx& ctx, torch::nn::Module&) : hooks(ctx) {}
  Hooks& operator*() { return hooks; }
  Hooks* operator->() { return &hooks; }
};

template <class Hooks>
  requires std::derived_from<Hooks, torch::nn::Module>
struct hook_holder<Hooks> {
  std::shared_ptr<Hooks> hooks;
  template <class Ctx>
  hook_holder(const Ctx& ctx, torch::nn::Module& owner)
      : hooks(owner.register_module("peft", std::make_shared<Hooks>(ctx))) {}
  Hooks& operator*() { return *hooks; }
  Hooks* operator->() { return hooks.get(); }
};

}  // namespace autopeft::model
