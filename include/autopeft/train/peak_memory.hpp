#pragma once
// The peak memory of a stretch of work on one device, in MiB (2^20 bytes): constructing a
// peak_memory resets the peak, mebibytes() reads it.
//
//   CUDA  the caching allocator's peak of allocated bytes on the device (resetPeakStats, then
//         getDeviceStats). Tensors only: those already resident (the backbone's weights) count,
//         the allocator's cached free blocks and the CUDA context do not. Needs a CUDA build
//         of LibTorch (AUTOPEFT_WITH_CUDA, which the top-level CMakeLists sets).
//   CPU   Linux's high-water mark of the process's resident set: "5" written to
//         /proc/self/clear_refs resets it to the current resident set, VmHWM in
//         /proc/self/status reads it. The whole process counts: LibTorch's code, the resident
//         backbone, the data sets, other threads' work, and heap pages the allocator kept from
//         earlier work; so compare trials of one process, not one trial's value with a model's size.
//
// Where the peak cannot be reset (not Linux, /proc/self/clear_refs not writable, a CUDA device
// with a LibTorch built without CUDA) available() is false and why_unavailable() says why;
// mebibytes() then throws rather than return the peak of some other stretch of work.
//
// Example:
//   train::peak_memory peak(torch::kCPU);
//   auto big = torch::ones({1 << 24});
//   double mib = peak.mebibytes();  // >= 128 more than before `big`
#include <autopeft/error.hpp>

#include <torch/torch.h>

#if defined(AUTOPEFT_WITH_CUDA) && __has_include(<c10/cuda/CUDACachingAllocator.h>)
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#define AUTOPEFT_PEAK_MEMORY_CUDA 1
#endif

#include <cerrno>
#include <cstring>
#include <exception>
#include <fstream>
#include <sstream>
#include <string>

namespace autopeft::train {

class peak_memory {
 public:
  /// Resets the peak of `device`; never throws (see available()).
  explicit peak_memory(torch::Device device) : device_(device) {
    if (device_.is_cuda()) {
#if defined(AUTOPEFT_PEAK_MEMORY_CUDA)
      try {  // the allocator knows a device once CUDA has been initialised on it
        if (!device_.has_index()) device_ = torch::Device(torch::kCUDA, c10::cuda::current_device());
        c10::cuda::CUDACachingAllocator::resetPeakStats(device_.index());
      } catch (const std::exception& e) {
        why_ = "the CUDA allocator's peak cannot be reset on " + device_.str() + " (" + e.what() +
               "); put a tensor on the device first, or leave peak_memory_mb out of the objectives";
      }
#else
      why_ = "this LibTorch was built without CUDA (AUTOPEFT_WITH_CUDA is unset), so the CUDA allocator's peak cannot "
             "be read; run on a CUDA build of LibTorch, or leave peak_memory_mb out of the objectives";
#endif
      return;
    }
    if (!device_.is_cpu()) {
      why_ = "no peak memory for device " + device_.str() + ": only cpu and cuda are measured";
      return;
    }
    std::ofstream clear("/proc/self/clear_refs");
    if (clear) clear << "5";
    if (clear) clear.flush();
    if (!clear) {
      const int e = errno;
      why_ = "cannot write \"5\" to /proc/self/clear_refs (" + std::string(e != 0 ? std::strerror(e) : "not Linux?") +
             ") to reset the process's peak resident set (VmHWM), so a trial's peak memory on the CPU would be the "
             "process's peak so far; run on Linux with /proc writable, or leave peak_memory_mb out of the objectives";
    }
  }

  [[nodiscard]] bool available() const noexcept { return why_.empty(); }
  /// Why the peak cannot be measured here; empty when it can.
  [[nodiscard]] const std::string& why_unavailable() const noexcept { return why_; }

  /// The peak since construction, in MiB. Throws autopeft::error when !available().
  [[nodiscard]] double mebibytes() const {
    if (!available()) throw error("train::peak_memory: " + why_);
#if defined(AUTOPEFT_PEAK_MEMORY_CUDA)
    if (device_.is_cuda()) {
      const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device_.index());
      return static_cast<double>(stats.allocated_bytes[0].peak) / (1 << 20);  // [0]: StatType::AGGREGATE
    }
#endif
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
      if (line.starts_with("VmHWM:")) {
        std::istringstream in(line.substr(6));
        double kib = 0;
        std::string unit;
        if (in >> kib >> unit && unit == "kB") return kib / 1024.0;
        break;
      }
    throw error("train::peak_memory: /proc/self/status has no readable 'VmHWM: N kB' line, so the process's peak "
                "resident set is unknown");
  }

 private:
  torch::Device device_;
  std::string why_;
};

}  // namespace autopeft::train
