#pragma once
// A training step's forward and backward, captured once as a CUDA graph and then replayed.
//
// At BERT-base shapes and batch 32 a PEFT step is bound by the host: it enqueues about 800
// kernels, and the GPU finishes each sooner than the host can issue the next
// (docs/results/gpu_throughput.md). Replaying a graph issues them all with one launch.
//
// The contract is that of CUDA graphs (PyTorch's "whole network capture"):
// - Inputs live in tensors whose storage never changes: copy each batch into them before run().
//   Shapes are fixed; a batch of another shape needs another cuda_graph_step.
// - Gradients live in the graph's memory. After the first run(), p.grad() of every parameter in
//   `params` is the same tensor at each step, and each run() overwrites it (gradients do not
//   accumulate across run() calls). So never call zero_grad(), which would drop them; an
//   optimizer that reads p.grad() (train::multi_tensor_adamw) then steps as usual, outside the graph.
// - The returned loss is a 0-dim tensor the next run() overwrites: read or copy it before that.
// - Dropout draws new numbers at each replay: the CUDA generator advances as it would eagerly.
//
// The first `warmup` calls run eagerly on a side stream (CUDA lazily initialises cuBLAS and the
// autograd engine's device threads, which must not happen during a capture); the next call
// captures and replays. A step that cannot be captured (it synchronises with the host, or copies
// from pageable memory) runs eagerly from then on, and graph_error() says why. With CPU tensors, or a LibTorch without CUDA (AUTOPEFT_WITH_CUDA unset,
// LibTorch 1.x), every call runs the same step eagerly under the same contract, so code written
// against it runs, and is tested, anywhere.
//
// Example:
//   auto ids = torch::empty({32, 128}, torch::dtype(torch::kLong).device(torch::kCUDA));
//   auto labels = torch::empty({32}, ids.options());
//   train::cuda_graph_step step(trainable, [&] {
//     train::autocast_guard bf16;
//     return model->loss(model->forward(ids), labels);
//   });
//   for (const auto& b : batches) {
//     ids.copy_(b.ids, /*non_blocking=*/true);
//     labels.copy_(b.labels, true);
//     step.run();          // forward + backward
//     optimizer.step();    // no zero_grad()
//   }
#include <autopeft/error.hpp>

#include <ATen/autocast_mode.h>
#include <torch/torch.h>

#if defined(AUTOPEFT_WITH_CUDA) && TORCH_VERSION_MAJOR >= 2
#define AUTOPEFT_CUDA_GRAPHS 1
#include <ATen/cuda/CUDAEvent.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace autopeft::train {

class cuda_graph_step {
 public:
  /// `params`: the parameters that train (their gradients are the step's output; may be empty
  /// when only the backward's other leaves matter); `forward`: returns the scalar loss, reading
  /// only tensors of fixed storage. The device is that of the loss of the first call.
  cuda_graph_step(std::vector<torch::Tensor> params, std::function<torch::Tensor()> forward, int warmup = 3)
      : params_(std::move(params)), forward_(std::move(forward)), warmup_(warmup) {
    if (!forward_) throw error("cuda_graph_step: the forward function is empty");
    if (warmup_ < 1) throw error("cuda_graph_step: warmup must be at least 1 (CUDA initialises lazily), got " + std::to_string(warmup_));
    for (const auto& p : params_)
      if (!p.requires_grad()) throw error("cuda_graph_step: a parameter in the list does not require grad");
  }

  /// Forward and backward of one step; returns the loss (valid until the next call).
  torch::Tensor run() {
#if defined(AUTOPEFT_CUDA_GRAPHS)
    if (graph_ || (calls_ > 0 && side_) || (calls_ == 0 && cuda_params())) return run_cuda();
    if (calls_ == 0 && params_.empty()) {
      // No parameter tells the device: the first call runs on the current stream and its loss does.
      ++calls_;
      auto loss = eager();
      if (loss.is_cuda()) side_.emplace(c10::cuda::getStreamFromPool(false, loss.device().index()));
      return loss;
    }
#endif
    return eager();
  }

  /// Whether run() replays a captured graph (false on the CPU, before the capture, and after a
  /// capture failed: then every call runs eagerly and graph_error() says why).
  [[nodiscard]] bool graphed() const { return graphed_; }
  /// Why the capture failed (an operation a graph cannot hold, such as a copy from pageable host
  /// memory or a host synchronisation inside the step); empty otherwise.
  [[nodiscard]] const std::string& graph_error() const { return graph_error_; }

 private:
  torch::Tensor eager() {
    for (auto& p : params_) p.mutable_grad() = torch::Tensor();
    auto loss = forward_();
    loss.backward();
    return loss;
  }

#if defined(AUTOPEFT_CUDA_GRAPHS)
  bool cuda_params() {
    if (params_.empty() || !params_.front().is_cuda()) return false;
    side_.emplace(c10::cuda::getStreamFromPool(false, params_.front().device().index()));
    return true;
  }

  // Warm-up calls and the capture all run on one side stream: autograd records, per parameter,
  // the stream its gradient is accumulated on, and a capture fails if that is another stream.
  torch::Tensor run_cuda() {
    if (graph_) {
      graph_->replay();
      return loss_;
    }
    if (!graph_error_.empty()) return eager();
    auto& side = *side_;
    c10::cuda::CUDAGuard device_guard(side.device());
    auto current = c10::cuda::getCurrentCUDAStream(side.device_index());
    at::cuda::CUDAEvent ready;
    ready.record(current);
    ready.block(side);
    torch::Tensor loss;
    {
      c10::cuda::CUDAStreamGuard stream_guard(side);
      if (calls_ < warmup_) {
        ++calls_;
        loss = eager();
      } else {
        loss = capture(side);
      }
    }
    at::cuda::CUDAEvent done;
    done.record(side);
    done.block(current);
    if (graph_) {
      graph_->replay();  // the capture recorded the work without running it
      return loss_;
    }
    return loss;
  }

  torch::Tensor capture(c10::cuda::CUDAStream& side) {
    side.synchronize();
    for (auto& p : params_) p.mutable_grad() = torch::Tensor();
    // Autocast's cache would keep casts made inside the capture alive outside it.
    const bool cache = at::autocast::is_autocast_cache_enabled();
    at::autocast::set_autocast_cache_enabled(false);
    auto graph = std::make_unique<at::cuda::CUDAGraph>();
    bool begun = false;
    try {
      graph->capture_begin();
      begun = true;
      loss_ = forward_();
      loss_.backward();
      graph->capture_end();
      graph_ = std::move(graph);
      graphed_ = true;
    } catch (const std::exception& e) {
      graph_error_ = e.what();
      if (const auto cut = graph_error_.find('\n'); cut != std::string::npos) graph_error_.resize(cut);
      if (begun) {
        try {
          graph->capture_end();  // ends the stream's capture, which is invalid by now
        } catch (const std::exception&) {
        }
      }
      loss_ = torch::Tensor();
    }
    at::autocast::set_autocast_cache_enabled(cache);
    if (graphed_) return loss_;
    return eager();  // this step, and every later one, without a graph
  }

  std::unique_ptr<at::cuda::CUDAGraph> graph_;
  std::optional<c10::cuda::CUDAStream> side_;
#endif

  std::vector<torch::Tensor> params_;
  std::function<torch::Tensor()> forward_;
  int warmup_;
  int calls_ = 0;
  bool graphed_ = false;
  std::string graph_error_;
  torch::Tensor loss_;
};

}  // namespace autopeft::train
