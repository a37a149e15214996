// autopeft-mpi: `autopeft search` and `autopeft resume` spread over MPI ranks. Rank 0 proposes
// and owns the study store; every other rank keeps the backbone in memory and evaluates the
// trials it is sent (one rank per GPU: with --device cuda, the k-th worker rank of a host takes
// that host's GPU k modulo the GPUs it sees, and makes it the current device of the process).
//
//   mpirun -np 3 --enable-recovery autopeft-mpi search --task wn_pos --trials 40 --store s.db
//   mpirun -np 3 --enable-recovery autopeft-mpi resume --store s.db
//
// The settings are those of `autopeft search` (docs/cli.md), plus --worker-timeout; the guide is
// docs/distributed.md. The single-process `autopeft` program does not link MPI.
#include "did_you_mean.hpp"
#include "passive_omp_wait.hpp"
#include "search_commands.hpp"

#include <autopeft/search/study/mpi_study.hpp>

#include <CLI/CLI.hpp>
#include <mpi.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <iostream>
#include <unistd.h>

using namespace autopeft;

namespace {

struct mpi_args {
  cli::study_settings s;
  std::string config;
  double worker_timeout = 300;
  bool resume = false;
  std::string resume_study;
  std::string resume_objectives;  // --objectives on resume: must match the study's
  bool resume_objectives_given = false;
};

// Rank 0 resolves the settings (flags, config file, or the stored study's) and the study; the
// others receive them.
nlohmann::json broadcast(nlohmann::json j, int rank) {
  std::string text = rank == 0 ? j.dump() : std::string();
  int n = static_cast<int>(text.size());
  MPI_Bcast(&n, 1, MPI_INT, 0, MPI_COMM_WORLD);
  text.resize(static_cast<std::size_t>(n));
  MPI_Bcast(text.data(), n, MPI_CHAR, 0, MPI_COMM_WORLD);
  return nlohmann::json::parse(text);
}

// The settings rank 0 sent, as the study stores them: ref_metric resolved on the task.
nlohmann::json stored_settings(nlohmann::json sent, const cli::study_settings& resolved) {
  sent["ref_metric"] = cli::settings_to_json(resolved)["ref_metric"];
  return sent;
}

// The index of this worker among the worker ranks (all but 0) of its host, or -1 on rank 0.
// Collective over MPI_COMM_WORLD.
int local_worker_index(int rank) {
  MPI_Comm workers = MPI_COMM_NULL;
  MPI_Comm_split(MPI_COMM_WORLD, rank == 0 ? MPI_UNDEFINED : 1, rank, &workers);
  if (workers == MPI_COMM_NULL) return -1;
  MPI_Comm host = MPI_COMM_NULL;
  MPI_Comm_split_type(workers, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &host);
  int index = 0;
  MPI_Comm_rank(host, &index);
  MPI_Comm_free(&host);
  MPI_Comm_free(&workers);
  return index;
}

// Returns the number of workers lost (then MPI_Finalize must be skipped).
std::int64_t run(const mpi_args& a, const CLI::App& cmd, int rank, int size) {
  const auto t0 = std::chrono::steady_clock::now();
  // 1. Settings and the study, decided on rank 0.
  nlohmann::json plan;
  std::optional<search::study_store> store;
  if (rank == 0) {
    try {
      auto s = a.s;
      if (a.resume) {
        if (!std::filesystem::exists(s.store)) throw error(s.store + ": no such study store (check --store)");
        store.emplace(search::study_store::open(s.store));
        const auto study = cli::pick_study(*store, a.resume_study);
        const auto store_path = s.store;
        cli::settings_from_stored(s, study.config, s.store + ", study \"" + study.name + "\"");
        s.store = store_path;
        if (a.resume_objectives_given) s.objectives = a.resume_objectives;
        cli::check_objectives(study, s);
        plan = {{"settings", cli::settings_to_json(s)}, {"study", study.name}, {"create", false}};
      } else {
        cli::resolve_settings(cmd, s, a.config);
        if (auto parent = std::filesystem::path(s.store).parent_path(); !parent.empty()) std::filesystem::create_directories(parent);
        store.emplace(search::study_store::open(s.store));
        if (store->find_study(s.study_name()))
          throw error("the store " + s.store + " already holds a study named \"" + s.study_name() +
                      "\": continue it with `autopeft-mpi resume --store " + s.store + " --study " + s.study_name() + "`");
        plan = {{"settings", cli::settings_to_json(s)}, {"study", s.study_name()}, {"create", true}};
      }
    } catch (const std::exception& e) {
      plan = {{"error", e.what()}};
    }
  }
  plan = broadcast(plan, rank);
  if (plan.contains("error")) throw error(plan["error"].get<std::string>());
  cli::study_settings s;
  cli::settings_from_json(s, plan["settings"], "the settings rank 0 sent");
  const int local = local_worker_index(rank);
  // The current device too, not only where the model goes: otherwise each worker would also
  // create a context on GPU 0 (where CUDA puts work that names no device) and share it.
  std::optional<c10::DeviceGuard> on_gpu;
  if (s.device == "cuda" && local >= 0 && torch::cuda::device_count() > 0) {
    const auto gpu = local % static_cast<int>(torch::cuda::device_count());
    s.device = "cuda:" + std::to_string(gpu);
    on_gpu.emplace(torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(gpu)));
  }

  // 2. Every rank loads the backbone and the task (the default backbone's cache is locked, so
  // one rank builds it and the others wait).
  const auto in = cli::load_session_inputs(s);
  s = cli::with_reference_resolved(s, in.task.info);
  std::int64_t lost = 0;
  cli::with_space(s, in.backbone.config().num_hidden_layers, [&]<class Space>(const space::family_t<Space>& base) {
    search::peft_evaluator<Space> evaluator(in.backbone, in.task, cli::trial_options(s, false), base);
    evaluator.cost(search::cost_kind_from_string(s.cost));
    cli::choose_objectives(evaluator, s);
    const auto objectives = cli::study_objectives_of(s);
    if (rank > 0) {
      search::mpi::heartbeat beat(MPI_COMM_WORLD);
      evaluator.set_progress([&beat](const train::progress&) { beat(); });
      lost = search::mpi::work<Space>(evaluator, MPI_COMM_WORLD, objectives, &beat);
      return;
    }
    const auto study = plan["create"].get<bool>()
                           ? store->create_study(s.study_name(), stored_settings(plan["settings"], s), objectives, s.seed)
                           : store->load_study(plan["study"].get<std::string>());
    std::fprintf(stderr, "study \"%s\" in %s: task %s, %d worker rank(s), budget %lld trials\n", study.name.c_str(),
                 s.store.c_str(), in.task.info.name.c_str(), size - 1, static_cast<long long>(s.trials));
    const auto driver = cli::study_driver_of<Space>(s.acquisition, cli::search_options_of(s, in, evaluator));
    const auto summary = search::mpi::coordinate(driver, *store, study, MPI_COMM_WORLD,
                                                 {.worker_timeout_seconds = a.worker_timeout}, cli::study_printer(*store, study));
    lost = summary.lost_workers;
    const auto hv = driver.hypervolume_of(study, store->trials(study));
    std::fprintf(stderr, "search: %lld complete, %lld failed, %lld interrupted and re-run, %lld of %lld workers lost; %.0f s\n",
                 static_cast<long long>(summary.complete), static_cast<long long>(summary.failed),
                 static_cast<long long>(summary.interrupted), static_cast<long long>(summary.lost_workers),
                 static_cast<long long>(summary.workers), summary.seconds);
    cli::finish_study<Space>(*store, study, s, in, base, evaluator.backbone_parameters(), hv, t0);
  });
  return lost;
}

}  // namespace

int main(int argc, char** argv) {
  cli::ensure_passive_omp_wait(argv);
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);

  CLI::App app{"autopeft-mpi: an AutoPEFT search over MPI ranks (rank 0 proposes, the others evaluate)", "autopeft-mpi"};
  app.require_subcommand(1);
  app.failure_message(cli::failure_message_with_suggestions);
  mpi_args a;
  auto* search_cmd = app.add_subcommand("search", "Run a study over the ranks; the settings of `autopeft search`.");
  cli::add_settings_options(*search_cmd, a.s, a.config);
  search_cmd->add_option("--worker-timeout", a.worker_timeout, "seconds of silence after which a worker is given up on")
      ->capture_default_str();
  auto* resume_cmd = app.add_subcommand("resume", "Continue a study over the ranks with its stored settings.");
  resume_cmd->add_option("--store", a.s.store, "the study store")->capture_default_str();
  resume_cmd->add_option("--study", a.resume_study, "the study (default: the store's only search study)");
  resume_cmd->add_option("--worker-timeout", a.worker_timeout, "seconds of silence after which a worker is given up on")
      ->capture_default_str();
  resume_cmd->add_option("--objectives", a.resume_objectives,
                         "the extra objectives the study was created with (a check: other ones are refused)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = rank == 0 ? app.exit(e) : (e.get_exit_code() == 0 ? 0 : 1);
    MPI_Finalize();
    return code;
  }
  a.resume = resume_cmd->parsed();
  a.resume_objectives_given = resume_cmd->count("--objectives") > 0;
  if (size < 2) {
    if (rank == 0) std::cerr << "autopeft-mpi: run it under mpirun with at least 2 ranks (rank 0 proposes, the others evaluate); "
                                "for one process use `autopeft`\n";
    MPI_Finalize();
    return 1;
  }
  std::int64_t lost = 0;
  try {
    lost = run(a, a.resume ? *resume_cmd : *search_cmd, rank, size);
  } catch (const std::exception& e) {
    std::cerr << "autopeft-mpi " << (a.resume ? "resume" : "search") << " (rank " << rank << "): " << e.what() << "\n";
    std::cerr.flush();
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  std::fflush(stdout);
  std::fflush(stderr);
  // A lost rank never reaches MPI_Finalize, which would then wait for it forever.
  if (lost > 0) ::_exit(0);
  MPI_Finalize();
  return 0;
}
