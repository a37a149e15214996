// A downstream project that only knows the installed autopeft package.
#include <autopeft/model/encoder_config.hpp>
#include <autopeft/model/encoder_model.hpp>
#include <iostream>

int main() {
  autopeft::model::EncoderConfig config;
  config.vocab_size = 50;
  config.hidden_size = 16;
  config.num_hidden_layers = 1;
  config.num_attention_heads = 2;
  config.intermediate_size = 32;
  autopeft::model::EncoderModel<> model(config);
  model->eval();
  auto out = model->forward(torch::tensor({{2, 5, 7}}));
  std::cout << "consumer: last_hidden_state " << out.last_hidden_state.sizes() << "\n";
  return out.last_hidden_state.size(2) == 16 ? 0 : 1;
}
