# autopeft_target_precompile_headers(<target> [REUSE_FROM <other>] [HEADERS <header>...])
#
# A precompiled header for a target that uses autopeft: LibTorch's <torch/torch.h> (most of the
# 15-60 s a translation unit takes) and nlohmann/json, plus any HEADERS given (e.g.
# <autopeft/peft.hpp>). With REUSE_FROM, the target reuses another target's precompiled header
# instead of building its own (same compiler flags required), so a project with many targets
# pays for one. Shared by the build tree (add_subdirectory) and the installed package.
function(autopeft_target_precompile_headers target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "REUSE_FROM" "HEADERS")
  if(arg_REUSE_FROM)
    target_precompile_headers(${target} REUSE_FROM ${arg_REUSE_FROM})
  else()
    target_precompile_headers(${target} PRIVATE <torch/torch.h> <nlohmann/json.hpp> ${arg_HEADERS})
  endif()
endfunction()
