# Finds what the autopeft headers need. Shared by the build tree and the installed package, so a
# consumer's find_package(autopeft) resolves exactly the same dependencies.
macro(autopeft_find_dependencies)
  if(NOT TARGET torch)
    find_package(Torch REQUIRED)
  endif()
  find_package(Boost 1.71 REQUIRED)          # Boost.Hana is header-only: Boost::headers
  find_package(range-v3 REQUIRED)
  find_package(nlohmann_json 3.9 REQUIRED)
endmacro()
