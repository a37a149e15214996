#pragma once
// Umbrella header of the task metrics.
#include <autopeft/data/accuracy.hpp>
#include <autopeft/data/evaluate.hpp>
#include <autopeft/data/f1.hpp>
#include <autopeft/data/f1_average.hpp>
#include <autopeft/data/matthews.hpp>
#include <autopeft/data/pearson.hpp>
#include <autopeft/data/spearman.hpp>
