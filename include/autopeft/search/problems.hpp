#pragma once
// Umbrella header of the study layer's benchmark problems: cheap stand-ins for a study's
// objectives on PEFT search spaces, for testing and benchmarking the search loop without
// training (the PEFT-free MOBO problems are in mobo/problems.hpp). Not included by search.hpp.
#include <autopeft/search/problems/autopeft_synthetic.hpp>
