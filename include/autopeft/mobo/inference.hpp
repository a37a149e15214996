#pragma once
// Umbrella header of the MCMC samplers.
#include <autopeft/mobo/inference/nuts.hpp>
