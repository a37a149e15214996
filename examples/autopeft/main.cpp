// autopeft: the command-line program. Each subcommand lives in its own header, which defines
// add_<name>_command(CLI::App&); main() only registers them and parses.
//
//   autopeft search   [--config FILE.json] [--task T] [--trials N] [--store FILE] ...   run a study
//   autopeft resume   [--store FILE] [--study NAME]                                   continue one
//   autopeft status   [--store FILE]                                  what a store holds, what runs
//   autopeft pareto   [--store FILE] [--study NAME] [--format table|json]       the Pareto front
//   autopeft report   [--store FILE] [--study NAME] [--out FILE.html]           the HTML report
//   autopeft train    (--trial N | --params JSON) [--seeds K] ...      one configuration, fully
//   autopeft export   (--trial N | --params JSON) --out DIR           trained weights to a folder
//   autopeft pretrain [--config tiny|gpu|FILE.json] [--out DIR] ...    the masked-LM backbone
//   autopeft <command> --help
// The user guide is docs/cli.md.
#include "did_you_mean.hpp"
#include "inspect_commands.hpp"
#include "passive_omp_wait.hpp"
#include "pretrain_command.hpp"
#include "search_commands.hpp"
#include "train_commands.hpp"

#include <CLI/CLI.hpp>

int main(int argc, char** argv) {
  autopeft::cli::ensure_passive_omp_wait(argv);
  CLI::App app{"autopeft: Pareto-optimal parameter-efficient fine-tuning configurations (AutoPEFT)", "autopeft"};
  app.require_subcommand(1);
  app.footer("Run `autopeft <command> --help` for a command's options; the guide is docs/cli.md.");
  app.failure_message(autopeft::cli::failure_message_with_suggestions);
  autopeft::cli::add_search_command(app);
  autopeft::cli::add_resume_command(app);
  autopeft::cli::add_status_command(app);
  autopeft::cli::add_pareto_command(app);
  autopeft::cli::add_report_command(app);
  autopeft::cli::add_train_command(app);
  autopeft::cli::add_export_command(app);
  autopeft::cli::add_pretrain_command(app);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
