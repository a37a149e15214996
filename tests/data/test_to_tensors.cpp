// An encoded batch as the encoder's int64 input tensors.
#include <autopeft/data/encode_batch.hpp>
#include <autopeft/data/to_tensors.hpp>

#include <catch2/catch.hpp>

using namespace autopeft;
using namespace autopeft::data;

TEST_CASE("to_tensors copies a padded batch into int64 [B, L] tensors", "[data][tokenizer]") {
  encoded_batch b;
  b.input_ids = {{2, 7, 3, 0}, {2, 8, 9, 3}};
  b.attention_mask = {{1, 1, 1, 0}, {1, 1, 1, 1}};
  b.token_type_ids = {{0, 0, 0, 0}, {0, 0, 1, 1}};
  const auto t = to_tensors(b);
  CHECK(t.input_ids.sizes() == torch::IntArrayRef{2, 4});
  CHECK(t.input_ids.scalar_type() == torch::kInt64);
  CHECK(t.input_ids[1][2].item<std::int64_t>() == 9);
  CHECK(t.attention_mask.sum().item<std::int64_t>() == 7);
  CHECK(t.token_type_ids[1][3].item<std::int64_t>() == 1);
  CHECK(to_tensors(encoded_batch{}).input_ids.sizes() == torch::IntArrayRef{0, 0});

  b.input_ids[1].push_back(5);
  CHECK_THROWS_WITH(to_tensors(b), Catch::Contains("row 1 has 5 tokens") && Catch::Contains("padding"));
}
