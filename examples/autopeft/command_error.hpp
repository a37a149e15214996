#pragma once
// How a subcommand reports failure: "autopeft <command>: <what is wrong and what to do>" on
// stderr and exit status 1, without CLI11's usage text (the input was well-formed, its content
// was not).
#include <autopeft/error.hpp>

#include <CLI/CLI.hpp>

#include <exception>
#include <iostream>
#include <string>

namespace autopeft::cli {

/// Runs a command's body; turns any exception into the message above and CLI11's exit code 1.
template <class F>
void run_command(const std::string& name, F&& body) {
  try {
    body();
  } catch (const CLI::Error&) {
    throw;
  } catch (const std::exception& e) {
    std::cerr << "autopeft " << name << ": " << e.what() << "\n";
    throw CLI::RuntimeError(1);
  }
}

}  // namespace autopeft::cli
