#pragma once
// The study layer: the study driver (initial design, MOBO batches, robust trials, resume),
// the PEFT trial evaluator, the persistent study store on SQLite, the Pareto set and its
// re-training, the baselines' verdicts, and the HTML report.
#include <autopeft/search/baseline_verdict.hpp>
#include <autopeft/search/baseline_verdicts.hpp>
#include <autopeft/search/concepts.hpp>
#include <autopeft/search/cost_kind.hpp>
#include <autopeft/search/evaluation.hpp>
#include <autopeft/search/extra_objective.hpp>
#include <autopeft/search/final_seed.hpp>
#include <autopeft/search/format_params.hpp>
#include <autopeft/search/hand_designed_evaluator.hpp>
#include <autopeft/search/hand_designed_in_space.hpp>
#include <autopeft/search/hand_designed_space.hpp>
#include <autopeft/search/integrity_report.hpp>
#include <autopeft/search/pareto_trials.hpp>
#include <autopeft/search/peft_evaluator.hpp>
#include <autopeft/search/report.hpp>
#include <autopeft/search/requeued_trial.hpp>
#include <autopeft/search/resident_classifier.hpp>
#include <autopeft/search/retrain_correlation.hpp>
#include <autopeft/search/retrain_pareto.hpp>
#include <autopeft/search/run_baselines.hpp>
#include <autopeft/search/run_trial.hpp>
#include <autopeft/search/study_driver.hpp>
#include <autopeft/search/study_event.hpp>
#include <autopeft/search/study_objective.hpp>
#include <autopeft/search/study_options.hpp>
#include <autopeft/search/study_record.hpp>
#include <autopeft/search/study_report_data.hpp>
#include <autopeft/search/study_store.hpp>
#include <autopeft/search/study_store_options.hpp>
#include <autopeft/search/trial_counts.hpp>
#include <autopeft/search/trial_fidelity.hpp>
#include <autopeft/search/trial_record.hpp>
#include <autopeft/search/trial_state.hpp>
#include <autopeft/search/worker_id.hpp>
