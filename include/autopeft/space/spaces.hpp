#pragma once
// Umbrella header of the ready-made search spaces.
#include <autopeft/space/spaces/autopeft_lora_space.hpp>
#include <autopeft/space/spaces/autopeft_space.hpp>
#include <autopeft/space/spaces/lora_space.hpp>
#include <autopeft/space/spaces/mam_space.hpp>
#include <autopeft/space/spaces/unipelt_space.hpp>
