// The study config file of `autopeft search --config FILE` (examples/autopeft/study_settings.hpp):
// any bytes give settings that pass the checks, or autopeft::error. Accepted settings survive
// settings_to_json -> settings_from_json unchanged.
#include "fuzz_support.hpp"

#include <study_settings.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace autopeft;
  const auto file = fuzz::write_file("study.json", {reinterpret_cast<const char*>(data), size});
  CLI::App cmd;
  cli::study_settings s;
  std::string config_file;
  cli::add_settings_options(cmd, s, config_file);
  if (!fuzz::accepts([&] { cli::resolve_settings(cmd, s, file.string()); })) return 0;
  const auto j = cli::settings_to_json(s);
  cli::study_settings back;
  cli::settings_from_json(back, j, "round trip");
  fuzz::check(cli::settings_to_json(back) == j, "settings survive a JSON round trip");
  return 0;
}
