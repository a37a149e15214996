#pragma once
// Count-based word vectors for initialising a model's word embeddings before masked-LM
// pretraining: the rank-d truncated SVD of the positive pointwise mutual information matrix of
// token co-occurrences (Levy & Goldberg, 2014, "Neural Word Embedding as Implicit Matrix
// Factorization"; context-distribution smoothing 0.75 and symmetric U·sqrt(S) vectors as in
// Levy, Goldberg & Dagan, 2015, "Improving Distributional Similarity with Lessons Learned from
// Word Embeddings"), computed by randomized SVD (Halko, Martinsson & Tropp, 2011, algorithm 4.4).
//
//   C[a][b]   = sum over pairs of tokens a, b at distance k <= window of 1/k (both orders)
//   PMI[a][b] = log(C[a][b] * sum(C) / (C[a][.] * Pc[b]))   with Pc[b] = C[.][b]^0.75 / sum
//   E         = U_d sqrt(S_d) of max(PMI, 0), rescaled to standard deviation `scale`
//
// Why: a short pretraining run spends its first steps on the "unigram plateau", predicting
// frequent tokens whatever the context, and on a CPU budget it may not leave it. Starting from
// embeddings in which co-occurring tokens are close gives the attention layers inputs worth
// attending to from the first step. It costs seconds (two passes over V x V floats).
#include <autopeft/error.hpp>

#include <torch/torch.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace autopeft::train {

struct ppmi_embedding_options {
  std::int64_t window = 4;
  double context_smoothing = 0.75;
  std::int64_t oversampling = 16;
  std::int64_t power_iterations = 2;
  double scale = 0.02;  ///< standard deviation of the result (BERT's initializer_range)
};

/// Word vectors [vocab_size, dim] from token-id rows [N, L] (packed blocks). Tokens in `ignore`
/// (special tokens) are not counted; their rows, and those of tokens never seen, are zero.
/// `generator` drives the random projection.
[[nodiscard]] inline torch::Tensor ppmi_embeddings(const torch::Tensor& rows, std::int64_t vocab_size, std::int64_t dim,
                                                   std::span<const std::int64_t> ignore, torch::Generator generator,
                                                   const ppmi_embedding_options& o = {}) {
  if (rows.dim() != 2 || rows.scalar_type() != torch::kLong)
    throw error("ppmi_embeddings: rows must be int64 [N, L]");
  if (dim < 1 || dim > vocab_size) throw error("ppmi_embeddings: dim must lie in [1, vocab_size]");
  torch::NoGradGuard no_grad;
  const auto v = vocab_size;
  auto counts = torch::zeros({v, v}, torch::kFloat);
  float* c = counts.data_ptr<float>();
  std::vector<char> skip(static_cast<std::size_t>(v), 0);
  for (auto id : ignore)
    if (id >= 0 && id < v) skip[static_cast<std::size_t>(id)] = 1;
  const auto r = rows.contiguous();
  const auto* ids = r.data_ptr<std::int64_t>();
  const auto n = r.size(0), len = r.size(1);
  for (std::int64_t row = 0; row < n; ++row) {
    const auto* t = ids + row * len;
    for (std::int64_t i = 0; i < len; ++i) {
      const auto a = t[i];
      if (a < 0 || a >= v || skip[static_cast<std::size_t>(a)]) continue;
      for (std::int64_t k = 1; k <= o.window && i + k < len; ++k) {
        const auto b = t[i + k];
        if (b < 0 || b >= v || skip[static_cast<std::size_t>(b)]) continue;
        const float w = 1.0f / static_cast<float>(k);
        c[a * v + b] += w;
        c[b * v + a] += w;
      }
    }
  }
  const auto row_sum = counts.sum(1);                     // [V]
  const auto smoothed = counts.sum(0).pow(o.context_smoothing);
  const auto total = counts.sum();
  // PMI = log C + log(total) - log row - log(Pc * total) ; zero counts stay zero after max(., 0).
  auto pmi = counts.log_();  // in place: `counts` is not needed any more
  pmi.sub_(row_sum.clamp_min(1e-12).log().unsqueeze(1));
  pmi.sub_((smoothed / smoothed.sum()).clamp_min(1e-12).log().unsqueeze(0));
  pmi.nan_to_num_(0.0, 0.0, 0.0).clamp_min_(0.0);  // log 0 = -inf -> 0

  // Randomized range finder with power iterations (the matrix is symmetric), then the SVD of
  // the small projection.
  const auto k = std::min<std::int64_t>(v, dim + o.oversampling);
  auto q = std::get<0>(at::linalg_qr(pmi.mm(torch::randn({v, k}, generator, torch::kFloat))));
  for (std::int64_t it = 0; it < o.power_iterations; ++it) q = std::get<0>(at::linalg_qr(pmi.mm(q)));
  const auto b = q.t().mm(pmi);  // [k, V]
  auto [ub, s, vt] = at::linalg_svd(b, /*full_matrices=*/false);
  auto e = q.mm(ub.narrow(1, 0, dim)) * s.narrow(0, 0, dim).sqrt().unsqueeze(0);  // [V, dim]
  const auto seen = row_sum.gt(0).unsqueeze(1);
  e = e.masked_fill(seen.logical_not(), 0.0);
  const auto sd = e.masked_select(seen.expand_as(e)).std().item<double>();
  if (sd > 0) e = e * (o.scale / sd);
  return e;
}

}  // namespace autopeft::train
