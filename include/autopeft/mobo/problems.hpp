#pragma once
// Multi-objective test problems with reference points and maximal hypervolumes. Each problem
// is in its natural MINIMISATION form (ref_point and max_hv too); negate objectives and the
// reference point to use them with the maximising Pareto utilities.
#include <autopeft/mobo/problems/branin_currin.hpp>
#include <autopeft/mobo/problems/dtlz1.hpp>
#include <autopeft/mobo/problems/dtlz2.hpp>
#include <autopeft/mobo/problems/vehicle_safety.hpp>
#include <autopeft/mobo/problems/zdt1.hpp>
#include <autopeft/mobo/problems/zdt2.hpp>
#include <autopeft/mobo/problems/zdt3.hpp>
