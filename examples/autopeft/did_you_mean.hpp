#pragma once
// "Did you mean": CLI11's message for a mistyped flag or command, followed by the nearest name
// the command knows, by edit distance (--trails -> --trials, --data_dri -> --data-dir).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace autopeft::cli {

/// The optimal string alignment distance: insertions, deletions, substitutions and swaps of two
/// neighbouring characters, each costing 1 ("trails" -> "trials" is 1).
inline std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i)
    for (std::size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

/// The name of `known` nearest `word`, when it is near enough to be a typo of it: at most one
/// edit in three characters (at least one), '_' and '-' counting as the same.
inline std::optional<std::string> nearest_name(std::string word, const std::vector<std::string>& known) {
  auto dashed = [](std::string s) {
    std::replace(s.begin(), s.end(), '_', '-');
    return s;
  };
  word = dashed(word);
  std::optional<std::string> best;
  std::size_t best_distance = std::max<std::size_t>(1, word.size() / 3) + 1;
  for (const auto& name : known)
    if (const auto d = edit_distance(word, dashed(name)); d < best_distance) best = dashed(name), best_distance = d;
  return best;
}

/// The long flags of `app` (without the dashes) and "help".
inline std::vector<std::string> flag_names(const CLI::App& app) {
  std::vector<std::string> out{"help"};
  for (const auto* o : app.get_options())
    for (const auto& n : o->get_lnames()) out.push_back(n);
  return out;
}

/// CLI11's message for `e`, then for each argument it did not expect, the flag of the command
/// (or, before any command, the command) it may have meant.
inline std::string failure_message_with_suggestions(const CLI::App* app, const CLI::Error& e) {
  const auto commands = app->get_subcommands();
  const CLI::App* command = commands.empty() ? app : commands.front();
  std::vector<std::string> command_names;
  for (const auto* c : app->get_subcommands([](const CLI::App*) { return true; })) command_names.push_back(c->get_name());
  std::string hints;
  for (const auto& arg : app->remaining(true)) {
    if (arg.starts_with("--") && arg.size() > 2) {
      const auto name = arg.substr(2, arg.find('=') == std::string::npos ? std::string::npos : arg.find('=') - 2);
      if (const auto n = nearest_name(name, flag_names(*command))) hints += "--" + name + ": did you mean --" + *n + "?\n";
    } else if (commands.empty() && !arg.starts_with("-")) {
      if (const auto n = nearest_name(arg, command_names)) hints += arg + ": did you mean " + *n + "?\n";
    }
  }
  if (hints.empty()) return CLI::FailureMessage::simple(app, e);
  return std::string(e.what()) + "\n" + hints + "Run with --help for more information.\n";
}

}  // namespace autopeft::cli
