// Loads HF checkpoints of every supported class, checks their outputs against the reference
// outputs stored beside them, and writes them back with save_pretrained.
//
//   checkpoint_roundtrip FIXTURE_DIR OUT_DIR [cpu|cuda]
//
// FIXTURE_DIR holds <arch>-<kind>/ directories (config.json, model.safetensors, io.safetensors)
// as made by tools/make_hf_fixtures.py. OUT_DIR receives one checkpoint per fixture, which
// tools/check_hf_roundtrip.py loads back into HF transformers.
#include <autopeft/io.hpp>
#include <autopeft/model.hpp>

#include <iomanip>
#include <iostream>

namespace fs = std::filesystem;
using namespace autopeft;

int main(int argc, char** argv) try {
  if (argc < 3) {
    std::cerr << "usage: checkpoint_roundtrip FIXTURE_DIR OUT_DIR [cpu|cuda]\n";
    return 2;
  }
  const fs::path fixtures = argv[1], out = argv[2];
  const torch::Device device(argc > 3 ? argv[3] : "cpu");
  double worst = 0;
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(fixtures))
    if (e.is_directory()) dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end());
  torch::NoGradGuard no_grad;
  for (const auto& dir : dirs) {
    const auto name = dir.filename().string();
    const auto kind = name.substr(name.find('-') + 1);
    auto io_ = io::load_safetensors(dir / "io.safetensors");
    auto ids = io_.at("input_ids").to(device), mask = io_.at("attention_mask").to(device);
    torch::Tensor types = io_.contains("token_type_ids") ? io_.at("token_type_ids").to(device) : torch::Tensor();
    auto report = [&](const std::string& what, const torch::Tensor& got) {
      const double d = (got.cpu() - io_.at(what)).abs().max().item<double>();
      worst = std::max(worst, d);
      std::cout << std::left << std::setw(20) << name << std::setw(18) << what << " max|diff| = "
                << std::scientific << std::setprecision(3) << d << "\n";
    };
    auto run = [&](auto m, auto&& outputs) {
      m->to(device);
      m->eval();
      outputs(m);
      io::save_pretrained(m, out / name);
    };
    if (kind == "base") {
      run(io::from_pretrained<model::EncoderModel<>>(dir), [&](auto& m) {
        auto o = m->forward(ids, mask, types);
        report("last_hidden_state", o.last_hidden_state);
        report("pooler_output", o.pooler_output);
      });
    } else if (kind == "mlm") {
      run(io::from_pretrained<model::MaskedLM<>>(dir), [&](auto& m) { report("logits", m->forward(ids, mask, types)); });
    } else {
      run(io::from_pretrained<model::SequenceClassifier<>>(dir),
          [&](auto& m) { report("logits", m->forward(ids, mask, types)); });
    }
  }
  const double tol = device.is_cuda() ? 1e-4 : 1e-5;
  std::cout << "worst max|diff| = " << std::scientific << worst << (worst <= tol ? " PASS" : " FAIL")
            << " at " << tol << "; checkpoints written to " << out << "\n";
  return worst <= tol && !dirs.empty() ? 0 : 1;
} catch (const std::exception& e) {
  std::cerr << "checkpoint_roundtrip: " << e.what() << "\n";
  return 1;
}
