#pragma once
#include <torch/torch.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <filesystem>
#include <string>
#include <vector>
