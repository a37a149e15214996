#pragma once
// AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019) with the
// semantics of torch::optim::AdamW, but updating all tensors of a param group together with
// ATen's multi-tensor ops (at::_foreach_*). torch::optim::AdamW runs about ten small ops per
// tensor; on a GPU each is a kernel launch, so a BERT-base step spent more time launching
// than computing (docs/results/gpu_throughput.md). Here each op is one call per group: one
// multi-tensor kernel per chunk of tensors on CUDA (on the CPU ATen loops over the tensors).
//
// For a parameter p with gradient g at its step t = 1, 2, ... and its group's lr, weight_decay
// wd, betas (b1, b2) and eps, exactly as torch::optim::AdamW (amsgrad aside):
//
//   p <- p (1 - lr wd)
//   m <- b1 m + (1 - b1) g                   v <- b2 v + (1 - b2) g²
//   p <- p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
//
// Options and state are torch::optim::AdamWOptions and AdamWParamState, and the class is a
// torch::optim::Optimizer: param groups keep their own lr and weight_decay
// (adamw_param_groups), linear_schedule::apply sets the lr, and torch::save / torch::load write
// and read the very format of torch::optim::AdamW, so either optimizer resumes the other's
// checkpoint. amsgrad is not implemented and is refused.
//
// There is no path through at::_fused_adamw_ (LibTorch 2.x, CUDA): it keeps the step count in
// a device tensor per parameter, which AdamWParamState (an int64) does not hold.
#include <autopeft/error.hpp>

#include <torch/optim/serialize.h>
#include <torch/torch.h>

#include <cmath>
#include <sstream>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace autopeft::train {

/// Example:
///   auto options = torch::optim::AdamWOptions(3e-4).weight_decay(0.01);
///   train::multi_tensor_adamw opt(train::adamw_param_groups(*model, options), options);
///   schedule.apply(opt, step);  opt.zero_grad();  loss.backward();  opt.step();
class multi_tensor_adamw : public torch::optim::Optimizer {
 public:
  using options_type = torch::optim::AdamWOptions;
  using state_type = torch::optim::AdamWParamState;

  explicit multi_tensor_adamw(std::vector<torch::optim::OptimizerParamGroup> param_groups, options_type defaults = {})
      : Optimizer(std::move(param_groups), std::make_unique<options_type>(defaults)) {
    check(defaults, "the default options");
    for (std::size_t i = 0; i < param_groups_.size(); ++i) options_of(param_groups_[i], i);
  }

  explicit multi_tensor_adamw(std::vector<torch::Tensor> params, options_type defaults = {})
      : multi_tensor_adamw({torch::optim::OptimizerParamGroup(std::move(params))}, std::move(defaults)) {}

  /// One AdamW step over every parameter that has a gradient (others are skipped and keep
  /// their step count, as in torch::optim::AdamW). `closure`, if given, is run with grad
  /// enabled first and its loss returned.
  torch::Tensor step(LossClosure closure = nullptr) override {
    torch::NoGradGuard no_grad;
    torch::Tensor loss;
    if (closure) {
      at::AutoGradMode enable_grad(true);
      loss = closure();
    }
    for (std::size_t gi = 0; gi < param_groups_.size(); ++gi) {
      auto& group = param_groups_[gi];
      const auto& o = options_of(group, gi);
      std::vector<torch::Tensor> params, grads, exp_avgs, exp_avg_sqs;
      std::vector<c10::Scalar> bias_correction2_sqrt, neg_step_size;
      const auto [beta1, beta2] = o.betas();
      for (const auto& p : group.params()) {
        if (!p.grad().defined()) continue;
        if (p.grad().is_sparse())
          throw error("multi_tensor_adamw: a parameter of param group " + std::to_string(gi) +
                      " has a sparse gradient, which AdamW does not support: use a dense embedding "
                      "(torch::nn::EmbeddingOptions::sparse(false))");
        auto& s = state_of(p);
        s.step(s.step() + 1);
        const auto t = static_cast<double>(s.step());
        params.push_back(p);
        grads.push_back(p.grad());
        exp_avgs.push_back(s.exp_avg());
        exp_avg_sqs.push_back(s.exp_avg_sq());
        // Per tensor: parameters of one group may have taken different numbers of steps.
        bias_correction2_sqrt.emplace_back(std::sqrt(1 - std::pow(beta2, t)));
        neg_step_size.emplace_back(-o.lr() / (1 - std::pow(beta1, t)));
      }
      if (params.empty()) continue;
      if (o.weight_decay() != 0) at::_foreach_mul_(params, 1 - o.lr() * o.weight_decay());
      at::_foreach_mul_(exp_avgs, beta1);
      at::_foreach_add_(exp_avgs, grads, 1 - beta1);
      at::_foreach_mul_(exp_avg_sqs, beta2);
      at::_foreach_addcmul_(exp_avg_sqs, grads, grads, 1 - beta2);
      auto denom = at::_foreach_sqrt(exp_avg_sqs);
      at::_foreach_div_(denom, bias_correction2_sqrt);
      at::_foreach_add_(denom, o.eps());
      at::_foreach_addcdiv_(params, exp_avgs, denom, neg_step_size);
    }
    return loss;
  }

  void save(torch::serialize::OutputArchive& archive) const override {
    torch::optim::serialize<state_type, options_type>(archive, *this);
  }
  void load(torch::serialize::InputArchive& archive) override {
    torch::optim::serialize<state_type, options_type>(archive, *this);
  }

 private:
  static void check(const options_type& o, const std::string& where) {
    const auto [beta1, beta2] = o.betas();
    auto fail = [&](const std::string& what) { throw error("multi_tensor_adamw: " + where + ": " + what); };
    if (o.amsgrad())
      fail("amsgrad is not implemented: set AdamWOptions::amsgrad(false), or use torch::optim::AdamW for amsgrad");
    if (!(o.lr() >= 0)) fail("the learning rate must be >= 0, got " + std::to_string(o.lr()));
    if (!(o.eps() >= 0)) fail("eps must be >= 0, got " + std::to_string(o.eps()));
    if (!(beta1 >= 0 && beta1 < 1)) fail("beta1 must lie in [0, 1), got " + std::to_string(beta1));
    if (!(beta2 >= 0 && beta2 < 1)) fail("beta2 must lie in [0, 1), got " + std::to_string(beta2));
    if (!(o.weight_decay() >= 0)) fail("weight_decay must be >= 0, got " + std::to_string(o.weight_decay()));
  }

  // Checked on every step, since a caller may change a group's options between steps.
  static const options_type& options_of(torch::optim::OptimizerParamGroup& group, std::size_t index) {
    const auto where = "param group " + std::to_string(index);
    const auto* o = dynamic_cast<const options_type*>(&group.options());
    if (!o) throw error("multi_tensor_adamw: " + where + " has options of another optimizer: give it torch::optim::AdamWOptions");
    check(*o, where);
    return *o;
  }

  // The state map's key: the TensorImpl's address, as torch::optim's serialisation expects
  // (a string in LibTorch 1.x, the pointer itself in 2.x).
  template <class Map = std::remove_cvref_t<decltype(std::declval<Optimizer&>().state())>>
  static typename Map::key_type key_of(const torch::Tensor& p) {
    if constexpr (std::is_same_v<typename Map::key_type, std::string>) {
      std::ostringstream os;
      os << p.unsafeGetTensorImpl();
      return os.str();
    } else {
      return p.unsafeGetTensorImpl();
    }
  }

  state_type& state_of(const torch::Tensor& p) {
    auto& slot = state_[key_of(p)];
    if (!slot) {
      auto s = std::make_unique<state_type>();
      s->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
      s->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
      slot = std::move(s);
    }
    return static_cast<state_type&>(*slot);
  }
};

}  // namespace autopeft::train
