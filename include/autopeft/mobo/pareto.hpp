#pragma once
// Pareto utilities of the MOBO core (maximisation throughout): dominance, hypervolume and the
// box decompositions that hypervolume-improvement acquisitions integrate over.
#include <autopeft/mobo/pareto/box_decomposition.hpp>
#include <autopeft/mobo/pareto/hypervolume.hpp>
#include <autopeft/mobo/pareto/non_dominated.hpp>
