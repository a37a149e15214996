// Exports adapters in HF PEFT's format, for tools/check_peft_adapters.py to load into HF PEFT.
//
//   adapter_export FIXTURES OUT
//
// For each method and architecture of the PEFT fixtures (tests/fixtures/peft/<method>-<arch>), it
// builds the fixture classifier (FIXTURES/hf/<arch>-seqcls) with the method's policy, fills the
// PEFT tensors from HF's files (the adapter directory where the fixture has one, else HF's
// in-memory state.safetensors), saves with peft::save_adapter to OUT/<method>-<arch>/ and writes
// our logits on the fixture inputs to OUT/<method>-<arch>/ours.safetensors.
#include <autopeft/io/hf_checkpoint.hpp>
#include <autopeft/io/safetensors.hpp>
#include <autopeft/model.hpp>
#include <autopeft/peft.hpp>
#include <autopeft/peft/adapter_io.hpp>

#include <iostream>

namespace fs = std::filesystem;
using namespace autopeft;

namespace {

/// Copies HF's in-memory PEFT state (names with ".default") into the model.
template <class P, class M>
void load_state(M& m, const fs::path& file, const std::string& arch) {
  const auto state = io::load_safetensors(file);
  auto params = m->named_parameters(true);
  auto buffers = m->named_buffers(true);
  torch::NoGradGuard ng;
  for (const auto& [hf, t] : state.tensors) {
    if (hf == "logits") continue;
    const auto ours = peft::from_hf_name<P>(hf, arch);
    torch::Tensor* target = params.find(ours);
    if (!target) target = buffers.find(ours);
    if (!target) throw error(file.string() + ": tensor '" + hf + "' maps to '" + ours + "', which the model lacks");
    target->copy_(t);
  }
}

template <class P>
void export_one(const fs::path& fixtures, const fs::path& out, const std::string& method, const std::string& arch,
                std::optional<P> policy) {
  using family = peft::plan<P>;
  const auto base = fixtures / "hf" / (arch + "-seqcls");
  const auto dir = fixtures / "peft" / (method + "-" + arch);
  const bool has_adapter = fs::exists(dir / "adapter" / "adapter_config.json");
  if (!policy) policy = peft::policy_from_config<P>(peft::read_adapter_config(dir / "adapter"));
  auto m = io::from_pretrained<model::SequenceClassifier<family>>(base, nullptr, family{*policy});
  if (has_adapter) peft::load_adapter(m, dir / "adapter");
  else load_state<P>(m, dir / "state.safetensors", arch);

  const auto target = out / (method + "-" + arch);
  peft::save_adapter(m, target, {.base_model_name_or_path = fs::absolute(base).string()});
  const auto io = io::load_safetensors(base / "io.safetensors");
  torch::Tensor types;
  if (io.contains("token_type_ids")) types = io.at("token_type_ids");
  m->eval();
  torch::NoGradGuard ng;
  const auto logits = m->forward(io.at("input_ids"), io.at("attention_mask"), types);
  io::save_safetensors(target / "ours.safetensors", {{"logits", logits.contiguous()}}, {{"arch", arch}});
  std::cout << method << "-" << arch << ": saved " << target << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: adapter_export FIXTURES OUT   (FIXTURES: tests/fixtures)\n";
    return 2;
  }
  const fs::path fixtures = argv[1], out = argv[2];
  try {
    const std::vector<std::string> all6{"query", "key", "value", "intermediate.dense", "output.dense"};
    for (const std::string arch : {"bert", "roberta"}) {
      // From HF's own adapter directories.
      export_one<peft::lora>(fixtures, out, "lora", arch, std::nullopt);
      export_one<peft::ia3>(fixtures, out, "ia3", arch, std::nullopt);
      // From HF's in-memory state, with the fixture script's configurations.
      export_one(fixtures, out, "lora_rs_all", arch,
                 std::optional{peft::lora{}.r(2).lora_alpha(4).use_rslora(true).target_modules(all6)});
      export_one(fixtures, out, "dora", arch,
                 std::optional{peft::lora{}.r(4).lora_alpha(8).use_dora(true)
                                   .target_modules({"query", "value", "output.dense"}).layers_to_transform({1})});
      export_one(fixtures, out, "loha", arch, std::optional{peft::loha{}.r(4).alpha(8).target_modules({"query", "value"})});
      export_one(fixtures, out, "lokr", arch,
                 std::optional{peft::lokr{}.r(4).alpha(8).target_modules({"query", "value", "intermediate.dense"})});
      export_one(fixtures, out, "vera", arch, std::optional{peft::vera{}.r(8).target_modules({"query", "value"})});
      export_one(fixtures, out, "prefix", arch, std::optional{peft::prefix_tuning{}.num_virtual_tokens(5)});
      export_one(fixtures, out, "prompt", arch, std::optional{peft::prompt_tuning{}.num_virtual_tokens(4)});
      export_one(fixtures, out, "ln_tuning", arch, std::optional{peft::ln_tuning{}.target_modules({"LayerNorm"})});
    }
  } catch (const std::exception& e) {
    std::cerr << "adapter_export: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
