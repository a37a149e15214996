// expect: autopeft::data::tokenizer: the type lacks `data::special_token_ids special_ids() const`
#include <autopeft/data/encode_batch.hpp>

#include <string>
#include <string_view>
#include <vector>

struct only_encodes {
  std::vector<std::int64_t> encode(std::string_view) const { return {}; }
};

int main() {
  const std::vector<std::string> texts = {"a"};
  (void)autopeft::data::encode_batch(only_encodes{}, texts);
}
