#pragma once
// LibTorch's CPU kernels run on OpenMP threads, which by default spin while they wait for work.
// On a machine whose cores other processes also use, a spinning thread takes the time slice the
// thread it waits for needs, and a training step with two threads runs three to five times
// slower than with one (measured on the project's 2-core build machine while a compiler ran).
// OMP_WAIT_POLICY=PASSIVE makes them sleep instead, at a cost of a few percent on an idle
// machine. libgomp reads the variable once, before main(), so a program that finds it unset sets
// it and executes itself again.
#include <cstdlib>

#if defined(__linux__)
#include <unistd.h>
#endif

namespace autopeft::cli {

/// Call first thing in main(). Returns only if the policy is already set (or re-execution
/// failed, in which case the program carries on with the default policy).
inline void ensure_passive_omp_wait(char** argv) {
#if defined(__linux__)
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  ::setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
  ::execv("/proc/self/exe", argv);
#else
  (void)argv;
#endif
}

}  // namespace autopeft::cli
