// HF PEFT adapter directories: adapter_config.json and adapter_model.safetensors, given as
// "adapter_config.json\n====\nadapter_model.safetensors". The config is read as every method's
// policy (peft::policy_from_config<P>); the directory is loaded into LoRA and (IA)^3 models of
// the bert-seqcls fixture (peft::load_adapter). Any bytes give a policy, a loaded model or
// autopeft::error. Law: an accepted policy survives to_adapter_config -> from_adapter_config.
#include "fuzz_support.hpp"

#include <autopeft/io/hf_checkpoint.hpp>
#include <autopeft/model.hpp>
#include <autopeft/peft.hpp>
#include <autopeft/peft/adapter_io.hpp>

using namespace autopeft;
namespace fs = std::filesystem;

namespace {

const fs::path fixtures = fs::path(AUTOPEFT_FIXTURES_DIR);

template <class P>
using classifier = model::SequenceClassifier<peft::plan<P>>;

template <class P>
classifier<P>& model_for(const std::string& method) {
  static classifier<P> m = [&] {
    const auto policy = peft::policy_from_config<P>(
        peft::read_adapter_config(fixtures / "peft" / (method + "-bert") / "adapter"));
    return io::from_pretrained<classifier<P>>(fixtures / "hf" / "bert-seqcls", nullptr, peft::plan<P>{policy});
  }();
  return m;
}

template <class P>
void policy(const nlohmann::json& j, const model::EncoderConfig& c) {
  P p;
  if (!fuzz::accepts([&] { p = peft::policy_from_config<P>(j); })) return;
  auto written = p.to_adapter_config(c);
  written["peft_type"] = std::string(P::peft_type);
  const auto back = peft::policy_from_config<P>(written);
  fuzz::check(back.to_adapter_config(c) == p.to_adapter_config(c),
              "a policy survives to_adapter_config -> from_adapter_config");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static auto& lora_model = model_for<peft::lora>("lora");
  static auto& ia3_model = model_for<peft::ia3>("ia3");
  const auto parts = fuzz::split(data, size, 2);
  const auto dir = fuzz::scratch_dir() / "adapter";
  fs::create_directories(dir);
  fuzz::write_file("adapter/adapter_config.json", parts[0]);
  fuzz::write_file("adapter/adapter_model.safetensors", parts[1]);

  nlohmann::json j;
  if (!fuzz::accepts([&] { j = peft::read_adapter_config(dir); })) return 0;
  const auto& c = lora_model->config();
  policy<peft::lora>(j, c);
  policy<peft::ia3>(j, c);
  policy<peft::loha>(j, c);
  policy<peft::lokr>(j, c);
  policy<peft::vera>(j, c);
  policy<peft::ln_tuning>(j, c);
  policy<peft::prompt_tuning>(j, c);
  policy<peft::prefix_tuning>(j, c);
  fuzz::accepts([&] { peft::load_adapter(lora_model, dir); });
  fuzz::accepts([&] { peft::load_adapter(ia3_model, dir); });
  return 0;
}
