#pragma once
// The hand-designed PEFT methods that AutoPEFT is compared with, at their usual sizes, as plans
// of one family (so one model type trains them all):
//
//   name       method                                   modules and sizes (H = hidden size)
//   lora8      LoRA (Hu et al., 2022)                   query, value; r 8, lora_alpha 16
//   lora16     LoRA                                     query, value; r 16, lora_alpha 32
//   pfeiffer   Pfeiffer adapter (Pfeiffer et al., 2021) serial, after the FFN; bottleneck H/16, ReLU
//   parallel   parallel adapter (He et al., 2022)       at the FFN, fed its input; bottleneck 2H/3, scaling 4
//   prefix     prefix tuning (Li & Liang, 2021)         30 virtual tokens, tanh MLP of width 512
//   mam        MAM adapter (He et al., 2022)            prefix 30 (MLP 800) + the parallel adapter above
//   unipelt    UniPELT (Mao et al., 2022)               gated LoRA r 8 + prefix 10 + adapter H/16
//   ia3        (IA)³ (Liu et al., 2022)                 key, value, FFN output (HF PEFT's BERT defaults)
//   bitfit     BitFit (Ben Zaken et al., 2022)          every bias of the encoder
//   full       full fine-tuning                         every backbone parameter
//
// The adapter sizes are the papers' reduction factors (Pfeiffer's 16; He et al.'s 512 of 768),
// so they scale with the backbone; ranks and prefix lengths are absolute, as in the papers. For
// bert-base these are the published configurations (bottleneck 48 and 512).
//
// Example:
//   for (const auto& m : peft::hand_designed_methods(backbone.config())) {
//     auto model = backbone.sequence_classifier<peft::hand_designed_family>(labels, m.plan);
//     if (m.full_finetuning) for (auto& p : model->parameters()) p.set_requires_grad(true);
//     else peft::mark_trainable(model);
//     ...
//   }
#include <autopeft/error.hpp>
#include <autopeft/model/encoder_config.hpp>
#include <autopeft/peft/bitfit.hpp>
#include <autopeft/peft/hand_designed_names.hpp>
#include <autopeft/peft/ia3.hpp>
#include <autopeft/peft/lora.hpp>
#include <autopeft/peft/parallel_adapter.hpp>
#include <autopeft/peft/plan.hpp>
#include <autopeft/peft/prefix_tuning.hpp>
#include <autopeft/peft/serial_adapter.hpp>
#include <autopeft/peft/unipelt.hpp>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace autopeft::peft {

using hand_designed_family = plan<lora, serial_adapter, parallel_adapter, prefix_tuning, ia3, bitfit, unipelt>;

struct hand_designed_method {
  std::string name;   ///< short name ("lora8", "mam", ...)
  std::string label;  ///< for tables ("LoRA r=8")
  hand_designed_family plan;
  /// Full fine-tuning: no PEFT module, every backbone parameter trains.
  bool full_finetuning = false;

  /// Trainable parameters without the task head: the plan's closed-form count, or, for full
  /// fine-tuning, `backbone_parameters`.
  [[nodiscard]] std::int64_t trainable_parameters(const model::EncoderConfig& c, std::int64_t backbone_parameters) const {
    return full_finetuning ? backbone_parameters : plan.trainable_parameters(c);
  }
};

/// The method `name` for a backbone of config `c` (sizes per the table above).
inline hand_designed_method hand_designed(std::string_view name, const model::EncoderConfig& c) {
  const auto h = c.hidden_size;
  const std::int64_t pfeiffer_bottleneck = std::max<std::int64_t>(1, h / 16);
  const std::int64_t parallel_bottleneck = std::max<std::int64_t>(1, 2 * h / 3);
  hand_designed_method m;
  m.name = name;
  m.plan.enabled.fill(false);
  auto only = [&m]<class P>(P policy) {
    m.plan.template get<P>() = std::move(policy);
    m.plan.template enable<P>();
  };
  const auto parallel = parallel_adapter{}.bottleneck_size(parallel_bottleneck).non_linearity("relu").scaling(4.0);
  if (name == "lora8") {
    m.label = "LoRA r=8";
    only(lora{}.r(8).lora_alpha(16).target_modules({"query", "value"}));
  } else if (name == "lora16") {
    m.label = "LoRA r=16";
    only(lora{}.r(16).lora_alpha(32).target_modules({"query", "value"}));
  } else if (name == "pfeiffer") {
    m.label = "Pfeiffer adapter";
    only(serial_adapter{}.placement(serial_adapter::pfeiffer).bottleneck_size(pfeiffer_bottleneck).non_linearity("relu"));
  } else if (name == "parallel") {
    m.label = "parallel adapter";
    only(parallel);
  } else if (name == "prefix") {
    m.label = "prefix tuning";
    only(prefix_tuning{}.num_virtual_tokens(30).prefix_projection(true).encoder_hidden_size(512));
  } else if (name == "mam") {
    m.label = "MAM adapter";
    only(prefix_tuning{}.num_virtual_tokens(30).prefix_projection(true).encoder_hidden_size(800));
    only(parallel);
  } else if (name == "unipelt") {
    m.label = "UniPELT";
    only(unipelt{}.r(8).lora_alpha(16).num_virtual_tokens(10).bottleneck_size(pfeiffer_bottleneck));
  } else if (name == "ia3") {
    m.label = "(IA)3";
    only(ia3{});
  } else if (name == "bitfit") {
    m.label = "BitFit";
    only(bitfit{});
  } else if (name == "full") {
    m.label = "full fine-tuning";
    m.full_finetuning = true;
  } else {
    std::string known;
    for (const auto& n : hand_designed_names()) known += (known.empty() ? "" : ", ") + n;
    throw error("unknown hand-designed method '" + std::string(name) + "': use one of " + known);
  }
  return m;
}

/// Every method of the table, in its order.
inline std::vector<hand_designed_method> hand_designed_methods(const model::EncoderConfig& c) {
  std::vector<hand_designed_method> out;
  for (const auto& n : hand_designed_names()) out.push_back(hand_designed(n, c));
  return out;
}

}  // namespace autopeft::peft
