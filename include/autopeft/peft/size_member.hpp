#pragma once
// size_member<&P::x_>: a policy's size option (peft/concepts.hpp, size_option) when its size is
// one integer option x (TORCH_ARG stores option x in the member x_). Inside the policy:
//
//   TORCH_ARG(std::int64_t, r) = 8;
//  public:
//   using size_option = peft::size_member<&lora::r_>;   // size_of<lora, D> sets r
#include <cstdint>

namespace autopeft::peft {

template <auto Member>
struct size_member;

template <class P, class T, T P::*Member>
struct size_member<Member> {
  static void set(P& p, std::int64_t v) { p.*Member = static_cast<T>(v); }
  static std::int64_t get(const P& p) { return static_cast<std::int64_t>(p.*Member); }
};

}  // namespace autopeft::peft
