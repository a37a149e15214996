#pragma once
// Umbrella header of the PEFT area.
#include <autopeft/peft/active_adapter.hpp>
#include <autopeft/peft/adamix.hpp>
#include <autopeft/peft/adapted_weights.hpp>
#include <autopeft/peft/adapter_layer.hpp>
#include <autopeft/peft/adapter_names.hpp>
#include <autopeft/peft/add_adapter.hpp>
#include <autopeft/peft/add_weighted_adapter.hpp>
#include <autopeft/peft/bitfit.hpp>
#include <autopeft/peft/bottleneck.hpp>
#include <autopeft/peft/compacter.hpp>
#include <autopeft/peft/concepts.hpp>
#include <autopeft/peft/delete_adapter.hpp>
#include <autopeft/peft/delta_weight_merge.hpp>
#include <autopeft/peft/disable_adapter.hpp>
#include <autopeft/peft/ia3.hpp>
#include <autopeft/peft/inject.hpp>
#include <autopeft/peft/intrinsic_said.hpp>
#include <autopeft/peft/linear.hpp>
#include <autopeft/peft/linear_adapter.hpp>
#include <autopeft/peft/linear_parametrization.hpp>
#include <autopeft/peft/linear_sites.hpp>
#include <autopeft/peft/ln_tuning.hpp>
#include <autopeft/peft/loha.hpp>
#include <autopeft/peft/lokr.hpp>
#include <autopeft/peft/lora.hpp>
#include <autopeft/peft/lora_adapter.hpp>
#include <autopeft/peft/lora_init.hpp>
#include <autopeft/peft/loraplus_param_groups.hpp>
#include <autopeft/peft/merge_adapter.hpp>
#include <autopeft/peft/merge_and_unload.hpp>
#include <autopeft/peft/parallel_adapter.hpp>
#include <autopeft/peft/plan.hpp>
#include <autopeft/peft/prefix_tuning.hpp>
#include <autopeft/peft/prompt_tuning.hpp>
#include <autopeft/peft/serial_adapter.hpp>
#include <autopeft/peft/set_adapter.hpp>
#include <autopeft/peft/size_member.hpp>
#include <autopeft/peft/stored_state.hpp>
#include <autopeft/peft/target.hpp>
#include <autopeft/peft/top_k_layer_tuning.hpp>
#include <autopeft/peft/trainable.hpp>
#include <autopeft/peft/unipelt.hpp>
#include <autopeft/peft/unload.hpp>
#include <autopeft/peft/unmerge_adapter.hpp>
#include <autopeft/peft/vera.hpp>

namespace autopeft::peft {
/// MAM adapter (He et al., 2022): prefix tuning + scaled parallel adapter.
using mam_adapter = plan<prefix_tuning, parallel_adapter>;
/// AutoPEFT's SA + PA + PT family (Zhou et al., 2024), with plan::layers_on as its per-layer switch.
using autopeft_family = plan<serial_adapter, parallel_adapter, prefix_tuning>;
}  // namespace autopeft::peft
