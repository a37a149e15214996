#pragma once
// The option a size_of<P, D> binding sets: a policy's "size". Specialise policy_size<P> for a
// new policy (a `static void set(P&, std::int64_t)`).
#include <autopeft/peft/ia3.hpp>
#include <autopeft/peft/lora.hpp>
#include <autopeft/peft/parallel_adapter.hpp>
#include <autopeft/peft/prefix_tuning.hpp>
#include <autopeft/peft/prompt_tuning.hpp>
#include <autopeft/peft/serial_adapter.hpp>

#include <cstdint>

namespace autopeft::space {

template <class P>
struct policy_size;  // no size option known: specialise policy_size<P> with a static set(P&, int64_t)

template <>
struct policy_size<peft::lora> {
  static void set(peft::lora& p, std::int64_t v) { p.r(v); }
};
template <>
struct policy_size<peft::serial_adapter> {
  static void set(peft::serial_adapter& p, std::int64_t v) { p.bottleneck_size(v); }
};
template <>
struct policy_size<peft::parallel_adapter> {
  static void set(peft::parallel_adapter& p, std::int64_t v) { p.bottleneck_size(v); }
};
template <>
struct policy_size<peft::prefix_tuning> {
  static void set(peft::prefix_tuning& p, std::int64_t v) { p.num_virtual_tokens(v); }
};
/// (IA)³ has no size: a size_of<peft::ia3, ordinal<"ia3", 0, 1>> dimension switches it off (0)
/// or on (1).
template <>
struct policy_size<peft::ia3> {
  static void set(peft::ia3&, std::int64_t) {}
};
template <>
struct policy_size<peft::prompt_tuning> {
  static void set(peft::prompt_tuning& p, std::int64_t v) { p.num_virtual_tokens(v); }
};

}  // namespace autopeft::space
