#pragma once
// Running a study: the driver (initial design, MOBO batches, robust trials, resume), the PEFT
// trial evaluators, the queue of a study's trials, the Pareto set's re-training, the baselines
// and the MPI coordinator (search/study/mpi_study.hpp, left out here: it needs MPI).
#include <autopeft/search/study/cost_kind.hpp>
#include <autopeft/search/study/evaluation.hpp>
#include <autopeft/search/study/extra_objective.hpp>
#include <autopeft/search/study/final_seed.hpp>
#include <autopeft/search/study/hand_designed_evaluator.hpp>
#include <autopeft/search/study/hand_designed_in_space.hpp>
#include <autopeft/search/study/hand_designed_space.hpp>
#include <autopeft/search/study/pareto_trials.hpp>
#include <autopeft/search/study/peft_evaluator.hpp>
#include <autopeft/search/study/resident_classifier.hpp>
#include <autopeft/search/study/retrain_correlation.hpp>
#include <autopeft/search/study/retrain_pareto.hpp>
#include <autopeft/search/study/run_baselines.hpp>
#include <autopeft/search/study/run_queue.hpp>
#include <autopeft/search/study/run_trial.hpp>
#include <autopeft/search/study/study_driver.hpp>
#include <autopeft/search/study/study_event.hpp>
#include <autopeft/search/study/study_options.hpp>
