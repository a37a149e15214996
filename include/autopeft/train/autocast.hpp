#pragma once
// RAII mixed precision for CUDA: inside the guard, matmuls and linears run in `dtype` (bf16 by
// default) while reductions such as softmax and LayerNorm stay in fp32, as torch.autocast does.
// On a build or machine without CUDA the guard does nothing.
#include <ATen/autocast_mode.h>
#include <torch/torch.h>

namespace autopeft::train {

class autocast_guard {
 public:
  explicit autocast_guard(bool enabled = true, torch::Dtype dtype = torch::kBFloat16) {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    previous_ = at::autocast::is_autocast_enabled(at::kCUDA);
    previous_dtype_ = at::autocast::get_autocast_dtype(at::kCUDA);
    at::autocast::set_autocast_enabled(at::kCUDA, enabled);
    at::autocast::set_autocast_dtype(at::kCUDA, dtype);
#else
    previous_ = at::autocast::is_enabled();
    previous_dtype_ = at::autocast::get_autocast_gpu_dtype();
    at::autocast::set_enabled(enabled);
    at::autocast::set_autocast_gpu_dtype(dtype);
#endif
  }
  autocast_guard(const autocast_guard&) = delete;
  autocast_guard& operator=(const autocast_guard&) = delete;
  ~autocast_guard() {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    at::autocast::set_autocast_enabled(at::kCUDA, previous_);
    at::autocast::set_autocast_dtype(at::kCUDA, previous_dtype_);
#else
    at::autocast::set_enabled(previous_);
    at::autocast::set_autocast_gpu_dtype(previous_dtype_);
#endif
    at::autocast::clear_cache();
  }

 private:
  bool previous_ = false;
  at::ScalarType previous_dtype_ = at::kBFloat16;
};

}  // namespace autopeft::train
