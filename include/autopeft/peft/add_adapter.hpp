#pragma once
// HF PEFT's add_adapter: a further named adapter on a module tree, inert until
// peft::set_adapter selects it (the tree's first adapter is active at once, as with
// get_peft_model). The same call as peft::inject with an adapter name.
//
// Example:
//   peft::inject(*net, peft::lora{}.r(4).target_modules({"fc1", "fc2"}));        // "default", active
//   peft::add_adapter(*net, "wide", peft::lora{}.r(8).target_modules({"fc1", "fc2"}));
//   peft::set_adapter(*net, "wide");                                             // now "wide" computes
#include <autopeft/peft/inject.hpp>

#include <torch/torch.h>

#include <string>

namespace autopeft::peft {

/// Attaches `policy`'s sites as the adapter `name` (see peft::inject); throws like inject, and
/// when a selected Linear already holds this policy under that name.
template <class P>
inject_report add_adapter(torch::nn::Module& model, const std::string& name, const P& policy) {
  return inject(model, policy, name);
}

}  // namespace autopeft::peft
