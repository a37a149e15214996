#pragma once
// Umbrella header of the acquisition optimisers (MAXIMISATION; each returns the best point
// [1, d]; sequential_greedy builds q-batches from them).
#include <autopeft/mobo/optimizer/discrete_space.hpp>
#include <autopeft/mobo/optimizer/exhaustive_search.hpp>
#include <autopeft/mobo/optimizer/lattice.hpp>
#include <autopeft/mobo/optimizer/local_search.hpp>
#include <autopeft/mobo/optimizer/multi_start_lbfgs.hpp>
#include <autopeft/mobo/optimizer/optimizer_context.hpp>
#include <autopeft/mobo/optimizer/pareto_local_search.hpp>
#include <autopeft/mobo/optimizer/random_candidates.hpp>
#include <autopeft/mobo/optimizer/sequential_greedy.hpp>
