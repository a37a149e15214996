#pragma once
// The hidden activations HF's `hidden_act` names, as one function object.
#include <autopeft/error.hpp>

#include <torch/torch.h>

#include <string>

namespace autopeft::model {

struct activation {
  enum class kind { gelu, gelu_tanh, relu, silu, tanh } k = kind::gelu;

  activation() = default;
  explicit activation(const std::string& name) {
    if (name == "gelu") k = kind::gelu;
    else if (name == "gelu_new" || name == "gelu_pytorch_tanh") k = kind::gelu_tanh;
    else if (name == "relu") k = kind::relu;
    else if (name == "silu" || name == "swish") k = kind::silu;
    else if (name == "tanh") k = kind::tanh;
    else throw error("hidden_act '" + name + "' is not supported");
  }

  torch::Tensor operator()(const torch::Tensor& x) const {
    switch (k) {
      case kind::gelu: return torch::gelu(x);
      case kind::gelu_tanh: return torch::gelu(x, "tanh");
      case kind::relu: return torch::relu(x);
      case kind::silu: return torch::silu(x);
      case kind::tanh: return torch::tanh(x);
    }
    return x;
  }
};

}  // namespace autopeft::model
