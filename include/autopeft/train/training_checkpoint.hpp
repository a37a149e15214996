#pragma once
// Resumable training checkpoints: `<root>/checkpoint-<step>/` (HF Trainer's layout) holding
//   config.json + model.safetensors   every parameter, PEFT ones included (io::save_pretrained)
//   optimizer.pt                      the optimizer's state (torch::save)
//   trainer_state.json                the step and whatever the loop needs to continue
// A checkpoint is written to a hidden temporary directory and renamed into place, and
// trainer_state.json is written last, so a crash or kill leaves either the previous set of
// checkpoints or the new one, never a half-written checkpoint-<step>.
#include <autopeft/error.hpp>
#include <autopeft/io/hf_checkpoint.hpp>
#include <autopeft/io/remove_tree.hpp>

#include <nlohmann/json.hpp>
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace autopeft::train {

struct training_checkpoint {
  std::filesystem::path dir;
  std::int64_t step = 0;
  nlohmann::json state;  ///< trainer_state.json

  /// The complete checkpoints under `root`, oldest first (an absent root has none).
  [[nodiscard]] static std::vector<training_checkpoint> list(const std::filesystem::path& root) {
    namespace fs = std::filesystem;
    std::vector<training_checkpoint> out;
    std::error_code ec;
    if (!fs::is_directory(root, ec)) return out;
    for (const auto& e : fs::directory_iterator(root, ec)) {
      const auto name = e.path().filename().string();
      constexpr std::string_view prefix = "checkpoint-";
      if (name.rfind(prefix, 0) != 0 || name.size() == prefix.size() ||
          name.find_first_not_of("0123456789", prefix.size()) != std::string::npos)
        continue;
      const auto state_file = e.path() / "trainer_state.json";
      if (!fs::is_regular_file(state_file, ec)) continue;
      std::ifstream in(state_file);
      nlohmann::json state;
      try {
        in >> state;
      } catch (const nlohmann::json::exception& x) {
        throw file_error(state_file, std::string("is not valid JSON (") + x.what() +
                                         "): remove this checkpoint directory to resume from an earlier one");
      }
      out.push_back({e.path(), std::stoll(name.substr(prefix.size())), std::move(state)});
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.step < b.step; });
    return out;
  }

  [[nodiscard]] static std::optional<training_checkpoint> latest(const std::filesystem::path& root) {
    auto all = list(root);
    if (all.empty()) return std::nullopt;
    return std::move(all.back());
  }

  /// Writes checkpoint-<step> under `root` and then keeps only the newest `save_total_limit`
  /// checkpoints (0: all).
  template <class Holder>
  static training_checkpoint save(const std::filesystem::path& root, std::int64_t step, const Holder& model,
                                  const torch::optim::Optimizer& optimizer, nlohmann::json state,
                                  std::int64_t save_total_limit = 0) {
    namespace fs = std::filesystem;
    fs::create_directories(root);
    const auto name = "checkpoint-" + std::to_string(step);
    const auto tmp = root / ("." + name + ".tmp-" + std::to_string(::getpid()));
    io::remove_tree(tmp);
    fs::create_directories(tmp);
    io::save_pretrained(model, tmp, torch::kFloat32, [](const std::string&) { return true; });
    torch::save(optimizer, (tmp / "optimizer.pt").string());
    state["step"] = step;
    {
      std::ofstream out(tmp / "trainer_state.json");
      out << state.dump(2) << '\n';
      if (!out) throw file_error(tmp / "trainer_state.json", "write failed (disk full?)");
    }
    const auto target = root / name;
    if (fs::exists(target)) {  // an earlier run's checkpoint of the same step: replace it
      const auto old = root / ("." + name + ".old-" + std::to_string(::getpid()));
      fs::rename(target, old);
      fs::rename(tmp, target);
      io::remove_tree(old);
    } else {
      fs::rename(tmp, target);
    }
    if (save_total_limit > 0) {
      auto all = list(root);
      for (std::size_t i = 0; i + static_cast<std::size_t>(save_total_limit) < all.size(); ++i) io::remove_tree(all[i].dir);
    }
    return {target, step, std::move(state)};
  }

  /// Restores the model's parameters and the optimizer's state. The optimizer must have been
  /// built over the same parameters in the same order as the one that was saved.
  template <class Holder>
  void restore(Holder& model, torch::optim::Optimizer& optimizer) const {
    const auto weights = dir / "model.safetensors";
    auto report = io::load_weights(*model, weights);
    if (!report.newly_initialized.empty())
      throw file_error(weights, "lacks the model's parameter '" + report.newly_initialized.front() +
                                    "': the checkpoint was written by another model or PEFT plan");
    torch::load(optimizer, (dir / "optimizer.pt").string());
  }

  /// Removes every checkpoint (and leftover temporary directory) under `root`.
  static void remove_all(const std::filesystem::path& root) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::is_directory(root, ec)) return;
    std::vector<fs::path> doomed;
    for (const auto& e : fs::directory_iterator(root, ec)) {
      const auto name = e.path().filename().string();
      if (name.rfind("checkpoint-", 0) == 0 || name.rfind(".checkpoint-", 0) == 0) doomed.push_back(e.path());
    }
    for (const auto& p : doomed) io::remove_tree(p);
  }
};

}  // namespace autopeft::train
