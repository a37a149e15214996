// expect: the Surrogate type lacks `static Surrogate from_data(const autopeft::mobo::surrogate_data&)`
#include <autopeft/mobo/ask_tell.hpp>
// A model of `surrogate` that ask_tell cannot fit: no from_data.
struct fixed_model {
  autopeft::mobo::multivariate_normal posterior(const torch::Tensor& X) const {
    auto mean = torch::zeros({2, X.size(-2)}, torch::kFloat64);
    return {mean, torch::diag_embed(torch::ones_like(mean))};
  }
};
static_assert(autopeft::mobo::surrogate<fixed_model>);
int main() {
  autopeft::mobo::ask_tell<fixed_model> opt(torch::tensor({{0.0}, {1.0}}), 2, torch::zeros({2}));
  (void)opt;
}
