#pragma once
// What the encoder models take as their PEFT argument: a plan of the hook protocol
// (model/no_peft.hpp), i.e. a type with `layer_hooks` and `embedding_hooks`: peft::plan<...> or
// no_peft. The holders (EncoderModel, SequenceClassifier, MaskedLM) check it once, so a common
// mistake, one policy where a plan belongs (SequenceClassifier<peft::lora>), gets one message
// that says how to wrap it instead of a page of errors from inside the encoder.
#include <autopeft/model/no_peft.hpp>

#include <type_traits>

namespace autopeft::model {

template <class P>
concept peft_plan = requires {
  typename P::layer_hooks;
  typename P::embedding_hooks;
};

namespace detail {

template <class>
inline constexpr bool dependent_false_plan = false;

/// Stands in for a rejected argument after its error, so that nothing else fails to compile.
struct not_a_plan : no_peft {
  template <class... A>
  not_a_plan(A&&...) {}  // NOLINT: takes whatever the user passed as the plan
};

template <class P>
constexpr bool check_peft_plan() {
  if constexpr (peft_plan<P>) {
    return true;
  } else if constexpr (requires { P::name; typename P::layer_module; }) {
    static_assert(dependent_false_plan<P>,
                  "autopeft::model: the PEFT argument is one policy, not a plan: wrap it in peft::plan, e.g. "
                  "SequenceClassifier<peft::plan<peft::lora>> m(config, peft::plan<peft::lora>{peft::lora{}.r(8)}); "
                  "a plan holds one or more policies (docs/ARCHITECTURE.md, \"PEFT policies\")");
    return false;
  } else {
    static_assert(dependent_false_plan<P>,
                  "autopeft::model: the PEFT argument is not a plan: give peft::plan<policies...>, or nothing "
                  "(no_peft) for the plain backbone; a plan has the members layer_hooks and embedding_hooks "
                  "(model/no_peft.hpp)");
    return false;
  }
}

template <class P>
using checked_plan_t = std::conditional_t<check_peft_plan<P>(), P, not_a_plan>;

}  // namespace detail
}  // namespace autopeft::model
