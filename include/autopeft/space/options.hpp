#pragma once
// Option setters for option_of<P, Option, D> bindings: a type with `static void set(P&, value)`
// per option. These are the ones the ready-made spaces use; write one of your own the same way.
#include <autopeft/peft/lora.hpp>
#include <autopeft/peft/unipelt.hpp>

#include <cstdint>

namespace autopeft::space::options {

struct lora_alpha {
  static void set(peft::lora& p, double v) { p.lora_alpha(v); }
};
struct unipelt_r {
  static void set(peft::unipelt& p, std::int64_t v) { p.r(v); }
};
/// 0 drops UniPELT's prefix component and its gate.
struct unipelt_num_virtual_tokens {
  static void set(peft::unipelt& p, std::int64_t v) { p.num_virtual_tokens(v); }
};
struct unipelt_bottleneck_size {
  static void set(peft::unipelt& p, std::int64_t v) { p.bottleneck_size(v); }
};

}  // namespace autopeft::space::options
