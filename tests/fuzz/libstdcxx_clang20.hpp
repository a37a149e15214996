#pragma once
// Force-included into the fuzz targets (clang only). LibTorch 1.13's headers hold
// std::vector<c10::IValue> members while IValue is still incomplete (ATen/core/List.h). GCC
// instantiates the members at the end of the translation unit; clang 14 instantiates libstdc++
// 12's C++20 constexpr members on the spot and stops with "incomplete type 'c10::IValue'".
// Dropping constexpr from libstdc++'s containers (and, to match, from std::string) lets clang
// compile LibTorch in C++20; constexpr does not change the ABI, and the library does not use
// vectors or strings in constant expressions.
#define _GLIBCXX20_CONSTEXPR
#include <type_traits>
#undef __cpp_lib_is_constant_evaluated
