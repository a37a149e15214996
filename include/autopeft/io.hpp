#pragma once
// Umbrella header of the I/O area: safetensors, HF checkpoint directories, the cache folder.
#include <autopeft/io/cache_dir.hpp>
#include <autopeft/io/checkpoint_index.hpp>
#include <autopeft/io/crc32.hpp>
#include <autopeft/io/decoder_checkpoint.hpp>
#include <autopeft/io/hf_checkpoint.hpp>
#include <autopeft/io/remove_tree.hpp>
#include <autopeft/io/safetensors.hpp>
