#pragma once
// The study layer: the study driver (initial design, MOBO batches, robust trials, resume),
// the PEFT trial evaluator, the persistent study store on SQLite, the Pareto set and its
// re-training, the baselines' verdicts, and the HTML report.
#include <autopeft/search/concepts.hpp>
#include <autopeft/search/report.hpp>
#include <autopeft/search/store.hpp>
#include <autopeft/search/study.hpp>
