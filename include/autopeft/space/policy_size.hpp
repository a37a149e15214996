#pragma once
// The option a size_of<P, D> binding sets: a policy's "size". Specialise policy_size<P> for a
// new policy: `static void set(P&, std::int64_t)` and `static std::int64_t get(const P&)` (the
// size a configured policy has; search::hand_designed_in_space reads it).
#include <autopeft/peft/ia3.hpp>
#include <autopeft/peft/lora.hpp>
#include <autopeft/peft/parallel_adapter.hpp>
#include <autopeft/peft/prefix_tuning.hpp>
#include <autopeft/peft/prompt_tuning.hpp>
#include <autopeft/peft/serial_adapter.hpp>

#include <cstdint>

namespace autopeft::space {

template <class P>
struct policy_size;  // no size option known: specialise policy_size<P> with static set(P&, int64_t) and get(const P&)

template <>
struct policy_size<peft::lora> {
  static void set(peft::lora& p, std::int64_t v) { p.r(v); }
  static std::int64_t get(const peft::lora& p) { return p.r(); }
};
template <>
struct policy_size<peft::serial_adapter> {
  static void set(peft::serial_adapter& p, std::int64_t v) { p.bottleneck_size(v); }
  static std::int64_t get(const peft::serial_adapter& p) { return p.bottleneck_size(); }
};
template <>
struct policy_size<peft::parallel_adapter> {
  static void set(peft::parallel_adapter& p, std::int64_t v) { p.bottleneck_size(v); }
  static std::int64_t get(const peft::parallel_adapter& p) { return p.bottleneck_size(); }
};
template <>
struct policy_size<peft::prefix_tuning> {
  static void set(peft::prefix_tuning& p, std::int64_t v) { p.num_virtual_tokens(v); }
  static std::int64_t get(const peft::prefix_tuning& p) { return p.num_virtual_tokens(); }
};
/// (IA)³ has no size: a size_of<peft::ia3, ordinal<"ia3", 0, 1>> dimension switches it off (0)
/// or on (1).
template <>
struct policy_size<peft::ia3> {
  static void set(peft::ia3&, std::int64_t) {}
  static std::int64_t get(const peft::ia3&) { return 1; }
};
template <>
struct policy_size<peft::prompt_tuning> {
  static void set(peft::prompt_tuning& p, std::int64_t v) { p.num_virtual_tokens(v); }
  static std::int64_t get(const peft::prompt_tuning& p) { return p.num_virtual_tokens(); }
};

}  // namespace autopeft::space
