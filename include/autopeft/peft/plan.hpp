#pragma once
// plan<Ps...>: a family of PEFT policies, compiled into the encoder's hook protocol.
//
// The model types are templates over a plan: `model::SequenceClassifier<plan<lora, ia3>>` holds,
// in each layer, exactly one slot per policy of the family whose `layer_module` is not void, and
// nothing else. A policy absent from the family has no member, no parameter and no call.
// The plan object carries the policies' runtime options and the AutoPEFT per-layer switch:
//
//   using family = peft::plan<peft::lora, peft::prefix_tuning>;
//   family p{peft::lora{}.r(8).target_modules({"query", "value"}),
//            peft::prefix_tuning{}.num_virtual_tokens(10)};
//   model::SequenceClassifier<family> m(config, p);
//
// Order matters where sites chain: linear sites apply input transforms, the base projection and
// output transforms in family order (output transforms see the input the base saw, so stacked
// modules merge exactly); after-attention and after-FFN modules chain in family
// order (so `plan<serial_adapter, parallel_adapter>` computes f + SA(f) + PA(x)).
#include <autopeft/error.hpp>
#include <autopeft/model/no_peft.hpp>
#include <autopeft/model/site.hpp>
#include <autopeft/peft/adapter_layer.hpp>
#include <autopeft/peft/concepts.hpp>

#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <concepts>
#include <functional>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace autopeft::peft {

namespace detail {
struct no_slot {};
template <class M>
using slot_t = std::conditional_t<std::is_void_v<M>, no_slot, std::shared_ptr<M>>;

template <class Tuple, class F>
void for_each_slot(Tuple& t, F&& f) {
  std::apply([&](auto&... s) { (f(s), ...); }, t);
}

/// Calls f(name, slot) for each slot of a hooks object, with the name of the policy it belongs to
/// (slots of policies without such a module are detail::no_slot).
template <class... Ps, class Tuple, class F>
void for_each_named_slot(Tuple& t, F&& f) {
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (f(std::string(std::tuple_element_t<I, std::tuple<Ps...>>::name), std::get<I>(t)), ...);
  }(std::index_sequence_for<Ps...>{});
}

/// Whether any slot of a hooks object holds a module.
template <class Tuple>
bool any_slot(const Tuple& t) {
  bool any = false;
  std::apply([&](const auto&... m) {
    ([&] {
      if constexpr (!std::is_same_v<std::decay_t<decltype(m)>, no_slot>) any = any || m != nullptr;
    }(), ...);
  }, t);
  return any;
}

/// Unregisters every slot's module from the hooks object `owner` and empties the slot.
template <class... Ps, class Tuple>
void drop_slots(torch::nn::Module& owner, Tuple& t) {
  for_each_named_slot<Ps...>(t, [&](const std::string& name, auto& m) {
    if constexpr (!std::is_same_v<std::decay_t<decltype(m)>, no_slot>)
      if (m) {
        owner.unregister_module(name);
        m = nullptr;
      }
  });
}

/// A layer module that folds its update into the layer's base weights (a linear_sites_module of a
/// linear-site policy); peft::merge_adapter refuses a policy whose layer module is not one.
template <class M>
concept merging_layer_module = requires(M& m, const M& cm, torch::nn::Module& layer) {
  m.merge(layer);
  m.unmerge(layer);
  { cm.merged() } -> std::convertible_to<bool>;
};

/// Whether a hooks slot (a shared_ptr to a layer module, or no_slot) holds a merging_layer_module.
template <class Slot>
struct merging_slot_of : std::false_type {};
template <class M>
struct merging_slot_of<std::shared_ptr<M>> : std::bool_constant<merging_layer_module<M>> {};
template <class Slot>
inline constexpr bool merging_slot = merging_slot_of<std::decay_t<Slot>>::value;

/// A module whose stored form differs from its parameters (see peft/concepts.hpp).
template <class M>
concept folding_module = requires(M& m) {
  { std::as_const(m).stored_parameters() } -> std::convertible_to<std::int64_t>;
  { m.stored_state() } -> std::convertible_to<std::vector<std::pair<std::string, torch::Tensor>>>;
};

/// Calls f(path, m) and gives true when `m` is an M that folds; void and other M give false.
template <class M, class F>
bool visit_folding(const std::string& path, torch::nn::Module& m, F& f) {
  if constexpr (std::is_void_v<M>) {
    return false;
  } else if constexpr (!folding_module<M>) {
    return false;
  } else {
    auto* x = dynamic_cast<M*>(&m);
    if (x) f(path, *x);
    return x != nullptr;
  }
}
}  // namespace detail

template <class... Ps>
class plan {
  static constexpr std::array<bool, sizeof...(Ps)> make_all_on() {
    std::array<bool, sizeof...(Ps)> a{};
    for (auto& b : a) b = true;
    return a;
  }

  // Each member is checked with its own readable message (check_policy); no second message here.
  static_assert(((void)check_policy<Ps>(), ..., true));

 public:
  std::tuple<Ps...> policies;
  /// AutoPEFT's per-layer switch: layer i carries modules only when layers[i] (empty: all on).
  std::vector<bool> layers;
  /// Which policies of the family are switched on (a search space sets a size of 0 as "off").
  std::array<bool, sizeof...(Ps)> enabled = make_all_on();

  plan() = default;
  explicit plan(Ps... ps) : policies(std::move(ps)...) {}

  plan& layers_on(std::vector<bool> mask) {
    layers = std::move(mask);
    return *this;
  }
  [[nodiscard]] bool layer_on(std::int64_t i) const {
    return layers.empty() || (i < static_cast<std::int64_t>(layers.size()) && layers[i]);
  }
  /// Whether P is a member of the family (false: the family has no slot, member or call for P).
  template <class P>
  static constexpr bool contains = (std::is_same_v<P, Ps> || ...);

  /// Switches policy P of the family on or off; an off policy builds no module.
  template <class P>
  plan& enable(bool on = true) {
    if constexpr (check_member<P>()) enabled[index_of<P>()] = on;
    return *this;
  }
  template <class P>
  [[nodiscard]] bool is_enabled() const {
    if constexpr (check_member<P>()) return enabled[index_of<P>()];
    else return false;
  }
  template <class P>
  [[nodiscard]] const P& get() const {
    if constexpr (check_member<P>()) return std::get<P>(policies);
    else return unreachable<P>();
  }
  template <class P>
  P& get() {
    if constexpr (check_member<P>()) return std::get<P>(policies);
    else return unreachable<P>();
  }

  /// Sum of the enabled policies' closed-form counts (the per-layer switch is applied by the
  /// policies' own layers_to_transform; space::to_plan sets both). Throws autopeft::error when
  /// the plan switches a layer off (layers_on) that an enabled policy with layer modules still
  /// counts: its layers_to_transform must leave that layer out (a policy without one cannot).
  [[nodiscard]] std::int64_t trainable_parameters(const model::EncoderConfig& c) const {
    check_layer_switch(c);
    std::int64_t n = 0;
    std::size_t i = 0;
    std::apply([&](const auto&... p) { ((n += enabled[i++] ? p.trainable_parameters(c) : 0), ...); }, policies);
    return n;
  }

  /// Sum of the enabled policies' closed-form stored counts: what the adapted model keeps after
  /// training (peft::stored_parameters_of; prefix tuning without its reparametrisation MLP).
  [[nodiscard]] std::int64_t stored_parameters(const model::EncoderConfig& c) const {
    check_layer_switch(c);
    std::int64_t n = 0;
    std::size_t i = 0;
    std::apply([&](const auto&... p) { ((n += enabled[i++] ? stored_parameters_of(p, c) : 0), ...); }, policies);
    return n;
  }

  /// The positions the enabled policies put ahead of the input on an encoder of config `c`: the
  /// sum of their num_virtual_tokens (prompt and prefix tuning). A policy with layer modules
  /// (a prefix) takes them only when some layer of `c` is on.
  [[nodiscard]] std::int64_t virtual_tokens(const model::EncoderConfig& c) const {
    bool any_layer = false;
    for (std::int64_t i = 0; i < c.num_hidden_layers; ++i) any_layer = any_layer || layer_on(i);
    std::int64_t n = 0;
    std::size_t i = 0;
    std::apply([&](const auto&... p) {
      ([&] {
        using P = std::decay_t<decltype(p)>;
        const bool on = enabled[i++];
        if constexpr (detail::has_virtual_tokens<P>)
          if (on && (std::is_void_v<typename P::layer_module> || any_layer)) n += p.num_virtual_tokens();
      }(), ...);
    }, policies);
    return n;
  }

  /// Calls f(path, module) for each module of `model` (a built model of this family, or any
  /// module holding one) whose type is one of the family's module types and declares a stored
  /// form (stored_parameters(), stored_state(); e.g. prefix_encoder). `path` is the module's name
  /// in `model`, so `path + "." + name` names its parameters.
  template <class F>
  static void for_each_folding_module(const torch::nn::Module& model, F&& f) {
    for (const auto& item : model.named_modules("", false)) {
      auto& m = *item.value();
      // A module type shared by two policies (prefix_encoder) is visited once.
      [[maybe_unused]] const bool done =
          (detail::visit_folding<typename Ps::model_module>(item.key(), m, f) || ... || false) ||
          (detail::visit_folding<typename Ps::layer_module>(item.key(), m, f) || ... || false);
    }
  }

  /// The closed-form counts follow the layer switch only through each policy's own
  /// layers_to_transform; a switched-off layer that a policy still lists (or, without a list,
  /// covers) would be counted though no module is built there.
  void check_layer_switch(const model::EncoderConfig& c) const {
    std::vector<std::int64_t> off;
    for (std::int64_t l = 0; l < c.num_hidden_layers; ++l)
      if (!layer_on(l)) off.push_back(l);
    if (off.empty()) return;
    std::size_t i = 0;
    std::apply([&](const auto&... p) {
      ([&] {
        using P = std::decay_t<decltype(p)>;
        if (!enabled[i++] || std::is_void_v<typename P::layer_module>) return;
        std::string why;
        if constexpr (requires { p.layers_to_transform(); }) {
          const auto& listed = p.layers_to_transform();
          for (const auto l : off)
            if (listed.empty() || std::find(listed.begin(), listed.end(), l) != listed.end()) {
              why = "its layers_to_transform " + std::string(listed.empty() ? "is empty (every layer)" : "lists layer " + std::to_string(l));
              break;
            }
        } else {
          why = "it has no layers_to_transform to leave them out";
        }
        if (!why.empty())
          throw error("peft::plan: the layer switch (layers_on) turns layer " + std::to_string(off.front()) + " off, but policy '" +
                      std::string(P::name) + "' would still count it: " + why +
                      "; set the policy's layers_to_transform to the layers that are on (space::to_plan does both)");
      }(), ...);
    }, policies);
  }

  /// One readable error for a policy that is not a member of the plan (get, enable,
  /// is_enabled), instead of std::get's: it names the mistake and the fix.
  template <class P>
  static constexpr bool check_member() {
    static_assert(contains<P>,
                  "autopeft::peft::plan: the policy P of get<P>(), enable<P>() or is_enabled<P>() is not one of "
                  "this plan's policies; add it to the plan's type (peft::plan<..., P>) or ask the plan that holds it");
    return contains<P>;
  }
  template <class P>
  static P& unreachable() {  // only instantiated after check_member's error
    return *static_cast<P*>(nullptr);
  }

  template <class P, std::size_t I = 0>
  static constexpr std::size_t index_of() {
    static_assert(I < sizeof...(Ps), "autopeft::peft::plan: the policy is not a member of this family");
    if constexpr (std::is_same_v<P, std::tuple_element_t<I, std::tuple<Ps...>>>) return I;
    else return index_of<P, I + 1>();
  }

  /// True when some policy trains this base (backbone) parameter (selective methods).
  [[nodiscard]] bool trains_base(const std::string& name) const {
    bool any = false;
    std::size_t i = 0;
    std::apply([&](const auto&... p) {
      ((any = [&] {
          const bool on = enabled[i++];
          if constexpr (requires { p.trains_base(name); }) return any || (on && p.trains_base(name));
          else return any;
        }()),
       ...);
    }, policies);
    return any;
  }

  /// The layer's PEFT modules, one slot per policy; an adapter_layer, so the management verbs
  /// (peft::merge_adapter, unload, disable_adapter, ...) reach them.
  class layer_hooks : public torch::nn::Module, public adapter_layer {
   public:
    layer_hooks(const model::layer_context& ctx, const plan& p) : layer_(&ctx.layer) {
      if (!p.layer_on(ctx.index)) return;
      build<0>(ctx, p);
    }

    torch::Tensor project(model::site s, const torch::Tensor& x, torch::nn::LinearImpl& base) {
      if (!default_adapter_computes()) return base.forward(x);
      torch::Tensor in = x;
      detail::for_each_slot(slots_, [&](auto& m) {
        if constexpr (requires { m->transform_input(s, in); })
          if (m) in = m->transform_input(s, in);
      });
      auto y = base.forward(in);
      detail::for_each_slot(slots_, [&](auto& m) {
        if constexpr (requires { m->transform_output(s, in, y, base); })
          if (m) y = m->transform_output(s, in, std::move(y), base);
      });
      return y;
    }

    std::optional<model::prefix_kv> prefix(std::int64_t batch) {
      std::optional<model::prefix_kv> kv;
      if (!default_adapter_computes()) return kv;
      detail::for_each_slot(slots_, [&](auto& m) {
        if constexpr (requires { m->prefix(batch); })
          if (m)
            if (auto more = m->prefix(batch)) {
              kv = kv ? model::prefix_kv{torch::cat({kv->first, more->first}, 2),
                                         torch::cat({kv->second, more->second}, 2)}
                      : *more;
            }
      });
      return kv;
    }

    torch::Tensor after_attention(torch::Tensor h) {
      if (!default_adapter_computes()) return h;
      detail::for_each_slot(slots_, [&](auto& m) {
        if constexpr (requires { m->after_attention(h); })
          if (m) h = m->after_attention(std::move(h));
      });
      return h;
    }

    torch::Tensor after_ffn(torch::Tensor h, const torch::Tensor& ffn_input) {
      if (!default_adapter_computes()) return h;
      detail::for_each_slot(slots_, [&](auto& m) {
        if constexpr (requires { m->after_ffn(h, ffn_input); })
          if (m) h = m->after_ffn(std::move(h), ffn_input);
      });
      return h;
    }

    torch::Tensor layer_norm(model::site s, const torch::Tensor& x, torch::nn::LayerNormImpl& base) {
      if (!default_adapter_computes()) return base.forward(x);
      std::optional<torch::Tensor> y;
      detail::for_each_slot(slots_, [&](auto& m) {
        if constexpr (requires { m->layer_norm(s, x, base); })
          if (m && !y) y = m->layer_norm(s, x, base);
      });
      return y ? *y : base.forward(x);
    }

    /// The layer module of policy P in this layer (null when the layer does not carry it).
    template <class P>
    auto module() {
      constexpr auto i = plan::index_of<P>();
      return std::get<i>(slots_);
    }

    [[nodiscard]] bool has_adapters() const override { return detail::any_slot(slots_); }
    [[nodiscard]] std::string unmergeable_adapter() const override {
      std::string out;
      detail::for_each_named_slot<Ps...>(slots_, [&](const std::string& name, const auto& m) {
        if constexpr (!std::is_same_v<std::decay_t<decltype(m)>, detail::no_slot>)
          if (m && !detail::merging_slot<decltype(m)> && out.empty()) out = name;
      });
      return out;
    }
    /// Merges slot by slot in family order (the order the sites apply), so stacked updates on
    /// one Linear fold exactly; unmerge_adapters goes in reverse.
    void merge_adapters() override {
      if (active_adapter() != "default") return;  // HF merges the active adapter only
      detail::for_each_slot(slots_, [&](auto& m) {
        if constexpr (detail::merging_slot<decltype(m)>)
          if (m) m->merge(*layer_);
      });
    }
    void unmerge_adapters() override {
      std::vector<std::function<void()>> undo;
      detail::for_each_slot(slots_, [&](auto& m) {
        if constexpr (detail::merging_slot<decltype(m)>)
          if (m) undo.emplace_back([&m, this] { m->unmerge(*layer_); });
      });
      for (auto it = undo.rbegin(); it != undo.rend(); ++it) (*it)();
    }
    [[nodiscard]] bool adapters_merged() const override {
      bool any = false;
      detail::for_each_slot(slots_, [&](const auto& m) {
        if constexpr (detail::merging_slot<decltype(m)>)
          if (m) any = any || m->merged();
      });
      return any;
    }
    void drop_adapters() override { detail::drop_slots<Ps...>(*this, slots_); }
    void enable_adapters(bool on) override { enabled_ = on; }
    [[nodiscard]] bool adapters_enabled() const override { return enabled_; }

   private:
    template <std::size_t I>
    void build(const model::layer_context& ctx, const plan& p) {
      if constexpr (I < sizeof...(Ps)) {
        using P = std::tuple_element_t<I, std::tuple<Ps...>>;
        if constexpr (!std::is_void_v<typename P::layer_module>) {
          if (!p.enabled[I]) {
          } else if (auto m = std::get<I>(p.policies).build_layer(ctx))
            std::get<I>(slots_) = register_module(std::string(P::name), m);
        }
        build<I + 1>(ctx, p);
      }
    }
    std::tuple<detail::slot_t<typename Ps::layer_module>...> slots_;
    torch::nn::Module* layer_;  ///< the encoder layer owning these hooks (merging writes its Linears)
    bool enabled_ = true;
  };

  /// The model-level PEFT modules (prompts, prefix encoders, shared frozen projections); an
  /// adapter_layer. A module here merges only when it holds no parameter (VeRA's frozen pair,
  /// which its layer sites fold): a trained prompt or prefix has no base weight to go into.
  class embedding_hooks : public torch::nn::Module, public adapter_layer {
   public:
    embedding_hooks(const model::embedding_context& ctx, const plan& p) { build<0>(ctx, p); }

    std::int64_t prompt(torch::Tensor& inputs_embeds) {
      std::int64_t n = 0;
      if (!default_adapter_computes()) return n;
      detail::for_each_slot(slots_, [&](auto& m) {
        if constexpr (requires { m->prompt(inputs_embeds); })
          if (m) n += m->prompt(inputs_embeds);
      });
      return n;
    }
    std::int64_t position_offset() {
      std::int64_t n = 0;
      if (!default_adapter_computes()) return n;
      detail::for_each_slot(slots_, [&](auto& m) {
        if constexpr (requires { m->position_offset(); })
          if (m) n += m->position_offset();
      });
      return n;
    }
    torch::Tensor layer_norm(const torch::Tensor& x, torch::nn::LayerNormImpl& base) {
      if (!default_adapter_computes()) return base.forward(x);
      std::optional<torch::Tensor> y;
      detail::for_each_slot(slots_, [&](auto& m) {
        if constexpr (requires { m->layer_norm(x, base); })
          if (m && !y) y = m->layer_norm(x, base);
      });
      return y ? *y : base.forward(x);
    }

    [[nodiscard]] bool has_adapters() const override { return detail::any_slot(slots_); }
    [[nodiscard]] std::string unmergeable_adapter() const override {
      std::string out;
      detail::for_each_named_slot<Ps...>(slots_, [&](const std::string& name, const auto& m) {
        if constexpr (!std::is_same_v<std::decay_t<decltype(m)>, detail::no_slot>)
          if (m && !m->parameters(true).empty() && out.empty()) out = name;
      });
      return out;
    }
    void merge_adapters() override {}
    void unmerge_adapters() override {}
    [[nodiscard]] bool adapters_merged() const override { return false; }
    void drop_adapters() override { detail::drop_slots<Ps...>(*this, slots_); }
    void enable_adapters(bool on) override { enabled_ = on; }
    [[nodiscard]] bool adapters_enabled() const override { return enabled_; }

   private:
    template <std::size_t I>
    void build(const model::embedding_context& ctx, const plan& p) {
      if constexpr (I < sizeof...(Ps)) {
        using P = std::tuple_element_t<I, std::tuple<Ps...>>;
        if constexpr (!std::is_void_v<typename P::model_module>) {
          if (!p.enabled[I]) {
          } else if (auto m = std::get<I>(p.policies).build_model(ctx))
            std::get<I>(slots_) = register_module(std::string(P::name), m);
        }
        build<I + 1>(ctx, p);
      }
    }
    std::tuple<detail::slot_t<typename Ps::model_module>...> slots_;
    bool enabled_ = true;
  };
};

}  // namespace autopeft::peft
