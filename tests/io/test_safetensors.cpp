#include <autopeft/io/safetensors.hpp>

#include "../support/scratch_dir.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace {

namespace fs = std::filesystem;
using autopeft::io::load_safetensors;
using autopeft::io::save_safetensors;
using Catch::Contains;
using Catch::StartsWith;
using named_tensors = std::vector<std::pair<std::string, torch::Tensor>>;

using temp_dir = autopeft::testing::scratch_dir;

std::string le64(std::uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>((v >> (8 * i)) & 0xffU);
  return s;
}

std::uint64_t read_le64(const std::string& bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= std::uint64_t{static_cast<unsigned char>(bytes[i])} << (8 * i);
  return v;
}

/// A safetensors file's bytes: header length, header, data.
std::string st_bytes(const std::string& header, const std::string& data = {}) {
  return le64(header.size()) + header + data;
}

fs::path write_bytes(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
  return p;
}

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

template <typename T>
std::string raw(const std::vector<T>& values) {
  std::string s(values.size() * sizeof(T), '\0');
  if (!values.empty()) std::memcpy(s.data(), values.data(), s.size());
  return s;
}

std::size_t count_entries(const fs::path& dir) {
  return static_cast<std::size_t>(
      std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

}  // namespace

// The file's path, then the problem: every rejection is a file_error that starts with the path.
#define REQUIRE_LOAD_FAILS(file, matcher)                                      \
  REQUIRE_THROWS_WITH(load_safetensors(file), StartsWith((file).string() + ": ") && matcher)

TEST_CASE("safetensors: round trip keeps names, dtypes, shapes, values and metadata",
          "[safetensors]") {
  temp_dir dir;
  torch::manual_seed(7);
  const auto base = torch::randn({4, 6});
  const named_tensors tensors = {
      {"f32", torch::randn({3, 4})},
      {"f16", torch::randn({5}).to(torch::kHalf)},
      {"bf16", torch::randn({2, 3}).to(torch::kBFloat16)},
      {"i64", torch::randint(-1000, 1000, {4, 2}, torch::kLong)},
      {"transposed", base.t()},                                   // non-contiguous
      {"strided", torch::arange(20, torch::kInt32).view({4, 5}).slice(1, 0, 5, 2)},
      {"expanded", torch::arange(3, torch::kFloat).expand({2, 3})},  // stride 0
      {"f64_scalar", torch::tensor(3.5, torch::kDouble)},           // shape []
      {"empty", torch::empty({0, 3})},
      {"i16", torch::randint(-30000, 30000, {3}, torch::kShort)},
      {"i8", torch::randint(-128, 127, {7}, torch::kChar)},
      {"u8", torch::randint(0, 255, {2, 2}, torch::kByte)},
      {"bool", torch::rand({9}) > 0.5},
      {"param", torch::randn({2}, torch::requires_grad())},
  };
  const std::map<std::string, std::string> metadata = {{"format", "pt"}, {"note", "h\xc3\xa9llo"}};
  REQUIRE_FALSE(tensors[4].second.is_contiguous());
  REQUIRE_FALSE(tensors[5].second.is_contiguous());

  const auto file = dir / "model.safetensors";
  save_safetensors(file, tensors, metadata);
  CHECK(count_entries(dir.path) == 1);  // no temporary file left behind

  const auto content = load_safetensors(file);
  CHECK(content.metadata == metadata);
  REQUIRE(content.tensors.size() == tensors.size());
  CHECK(std::is_sorted(content.tensors.begin(), content.tensors.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; }));
  for (const auto& [name, original] : tensors) {
    INFO("tensor " << name);
    REQUIRE(content.contains(name));
    const auto& loaded = content.at(name);
    CHECK(loaded.scalar_type() == original.scalar_type());
    CHECK(loaded.sizes() == original.sizes());
    CHECK(loaded.is_contiguous());
    CHECK(loaded.device().is_cpu());
    CHECK(torch::equal(loaded, original.detach()));
  }
  CHECK_FALSE(content.contains("nope"));

  // Saving again replaces the file as a whole.
  save_safetensors(file, {{"only", torch::ones({2})}});
  const auto again = load_safetensors(file);
  CHECK(again.tensors.size() == 1);
  CHECK(again.metadata.empty());
  CHECK(torch::equal(again.at("only"), torch::ones({2})));
  CHECK(count_entries(dir.path) == 1);
}

TEST_CASE("safetensors: at() names the file and the missing tensor", "[safetensors]") {
  temp_dir dir;
  const auto file = dir / "a.safetensors";
  save_safetensors(file, {{"w", torch::zeros({1})}, {"b", torch::zeros({1})}});
  const auto content = load_safetensors(file);
  REQUIRE_THROWS_AS(content.at("x"), autopeft::file_error);
  REQUIRE_THROWS_WITH(content.at("x"), StartsWith(file.string() + ": ") &&
                                           Contains("missing tensor 'x'") &&
                                           Contains("'b', 'w'"));
}

TEST_CASE("safetensors: loading with a dtype converts floating tensors only", "[safetensors]") {
  temp_dir dir;
  torch::manual_seed(11);
  const auto f16 = (torch::randn({64}) * 100).to(torch::kHalf);
  const auto bf16 = (torch::randn({8, 8}) * 1e10).to(torch::kBFloat16);
  const auto f32 = torch::randn({5});
  const auto i64 = torch::arange(6, torch::kLong);
  const auto mask = torch::tensor({true, false, true});
  const auto file = dir / "mixed.safetensors";
  save_safetensors(file, {{"f16", f16}, {"bf16", bf16}, {"f32", f32}, {"i64", i64}, {"mask", mask}});

  const auto as_f32 = load_safetensors(file, torch::kFloat);
  CHECK(as_f32.at("f16").scalar_type() == torch::kFloat);
  CHECK(as_f32.at("bf16").scalar_type() == torch::kFloat);
  CHECK(torch::equal(as_f32.at("f16"), f16.to(torch::kFloat)));
  CHECK(torch::equal(as_f32.at("bf16"), bf16.to(torch::kFloat)));
  CHECK(torch::equal(as_f32.at("f32"), f32));
  CHECK(as_f32.at("i64").scalar_type() == torch::kLong);
  CHECK(torch::equal(as_f32.at("i64"), i64));
  CHECK(as_f32.at("mask").scalar_type() == torch::kBool);
  CHECK(torch::equal(as_f32.at("mask"), mask));

  const auto as_f16 = load_safetensors(file, torch::kHalf);
  CHECK(torch::equal(as_f16.at("f32"), f32.to(torch::kHalf)));
  CHECK(torch::equal(as_f16.at("f16"), f16));
  CHECK(torch::equal(as_f16.at("bf16"), bf16.to(torch::kHalf)));

  REQUIRE_THROWS_WITH(load_safetensors(file, torch::kLong),
                      StartsWith(file.string() + ": ") && Contains("not a floating type"));
}

TEST_CASE("safetensors: the file is laid out as HuggingFace's writer lays it out",
          "[safetensors]") {
  temp_dir dir;
  const auto file = dir / "layout.safetensors";
  save_safetensors(file,
                   {{"b", torch::tensor({1.0F, 2.0F})},
                    {"a", torch::tensor({1, 2, 3}, torch::kChar)},
                    {"c", torch::tensor({1.0}).to(torch::kHalf)}},
                   {{"format", "pt"}});
  const std::string bytes = read_bytes(file);
  REQUIRE(bytes.size() >= 8);
  const std::uint64_t n = read_le64(bytes);
  CHECK(n % 8 == 0);
  REQUIRE(8 + n <= bytes.size());
  const std::string header = bytes.substr(8, n);

  // Keys sorted at every level, larger items first in the buffer, padded with spaces.
  const std::string expected_json =
      R"({"__metadata__":{"format":"pt"},)"
      R"("a":{"data_offsets":[10,13],"dtype":"I8","shape":[3]},)"
      R"("b":{"data_offsets":[0,8],"dtype":"F32","shape":[2]},)"
      R"("c":{"data_offsets":[8,10],"dtype":"F16","shape":[1]}})";
  REQUIRE(header.substr(0, expected_json.size()) == expected_json);
  CHECK(header.find_first_not_of(' ', expected_json.size()) == std::string::npos);
  CHECK(header.size() - expected_json.size() < 8);

  const auto ordered = nlohmann::ordered_json::parse(header);
  std::vector<std::string> keys;
  for (const auto& [key, value] : ordered.items()) {
    keys.push_back(key);
    if (key == "__metadata__") continue;
    std::vector<std::string> inner;
    for (const auto& [k, v] : value.items()) inner.push_back(k);
    CHECK(std::is_sorted(inner.begin(), inner.end()));
  }
  CHECK(std::is_sorted(keys.begin(), keys.end()));

  // data_offsets consecutive from 0 to the end of the file, each aligned to its item size.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
  for (const auto& [key, value] : ordered.items()) {
    if (key == "__metadata__") continue;
    const auto begin = value["data_offsets"][0].get<std::uint64_t>();
    const std::uint64_t itemsize = value["dtype"] == "F32" ? 4 : value["dtype"] == "F16" ? 2 : 1;
    CHECK(begin % itemsize == 0);
    ranges.emplace_back(begin, value["data_offsets"][1].get<std::uint64_t>());
  }
  std::sort(ranges.begin(), ranges.end());
  std::uint64_t expected_begin = 0;
  for (const auto& [b, e] : ranges) {
    CHECK(b == expected_begin);
    expected_begin = e;
  }
  CHECK(8 + n + expected_begin == bytes.size());

  // The data, little-endian: 1.0f, 2.0f, half(1.0), int8 1 2 3.
  const std::string data = bytes.substr(8 + n);
  CHECK(data == std::string("\x00\x00\x80\x3f\x00\x00\x00\x40\x00\x3c\x01\x02\x03", 13));

  // No metadata given: no "__metadata__" key.
  save_safetensors(file, {{"x", torch::zeros({1})}});
  const std::string plain = read_bytes(file);
  const std::uint64_t n2 = read_le64(plain);
  CHECK(n2 % 8 == 0);
  CHECK(plain.substr(8, n2).find("__metadata__") == std::string::npos);
}

TEST_CASE("safetensors: reads files as other writers lay them out", "[safetensors]") {
  temp_dir dir;
  // HF's Python writer: "__metadata__" first, field order dtype/shape/data_offsets, spaces.
  std::string header =
      R"({"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},)"
      R"("i":{"dtype":"I64","shape":[],"data_offsets":[16,24]}})";
  header.append((8 - header.size() % 8) % 8, ' ');
  const auto file = write_bytes(dir / "hf.safetensors",
                                st_bytes(header, raw<float>({1, 2, 3, 4}) + raw<std::int64_t>({-5})));
  const auto content = load_safetensors(file);
  CHECK(content.metadata == std::map<std::string, std::string>{{"format", "pt"}});
  CHECK(torch::equal(content.at("w"), torch::tensor({1.0F, 2.0F, 3.0F, 4.0F}).view({2, 2})));
  CHECK(content.at("i").dim() == 0);
  CHECK(content.at("i").item<std::int64_t>() == -5);

  // Whitespace anywhere JSON allows it, no metadata, an unpadded header, unknown extra fields.
  const auto loose = write_bytes(
      dir / "loose.safetensors",
      st_bytes("{ \"z\" : {\"shape\": [ 3 ], \"dtype\": \"U8\", \"data_offsets\": [0, 3], "
               "\"extra\": 1}\n}\n",
               std::string("\x01\x02\xff", 3)));
  const auto c2 = load_safetensors(loose);
  CHECK(c2.metadata.empty());
  CHECK(torch::equal(c2.at("z"), torch::tensor({1, 2, 255}, torch::kByte)));

  // An empty file of tensors and zero-byte tensors anywhere are fine.
  const auto empty = write_bytes(dir / "empty.safetensors", st_bytes("{}      "));
  CHECK(load_safetensors(empty).tensors.empty());
  const auto zero = write_bytes(
      dir / "zero.safetensors",
      st_bytes(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},)"
               R"("b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
               raw<float>({9})));
  const auto c3 = load_safetensors(zero);
  CHECK(c3.at("a").numel() == 0);
  CHECK(c3.at("b").item<float>() == 9.0F);
}

TEST_CASE("safetensors: malformed files are rejected with a message naming file and problem",
          "[safetensors]") {
  temp_dir dir;
  const auto p = dir / "bad.safetensors";
  // A valid entry around which the cases vary.
  const auto f32x4 = raw<float>({1, 2, 3, 4});

  SECTION("the error is an autopeft::file_error carrying the path") {
    write_bytes(p, "abc");
    try {
      (void)load_safetensors(p);
      FAIL("no exception");
    } catch (const autopeft::file_error& e) {
      CHECK(e.file() == p);
    }
  }
  SECTION("missing file") {
    const auto missing = dir / "missing.safetensors";
    REQUIRE_LOAD_FAILS(missing, Contains("cannot read"));
  }
  SECTION("a directory") {
    REQUIRE_LOAD_FAILS(dir.path, Contains("not a regular file"));
  }
  SECTION("empty file") {
    write_bytes(p, "");
    REQUIRE_LOAD_FAILS(p, Contains("truncated") && Contains("0 bytes"));
  }
  SECTION("shorter than the 8-byte header length") {
    write_bytes(p, std::string("\x10\x00\x00\x00\x00", 5));
    REQUIRE_LOAD_FAILS(p, Contains("truncated") && Contains("5 bytes"));
  }
  SECTION("header length past the end of the file") {
    write_bytes(p, le64(1000) + "{}" + std::string(40, ' '));
    REQUIRE_LOAD_FAILS(p, Contains("header length 1000 past the end of the file (size 50)"));
  }
  SECTION("header length of 2^64 - 1") {
    write_bytes(p, le64(~std::uint64_t{0}) + "{}");
    REQUIRE_LOAD_FAILS(p, Contains("header length 18446744073709551615 past the end"));
  }
  SECTION("header length over the 100 MB limit") {
    const std::uint64_t n = 100'000'008;
    write_bytes(p, le64(n) + "{");
    fs::resize_file(p, 8 + n + 16);  // sparse: costs no disk
    REQUIRE_LOAD_FAILS(p, Contains("header length 100000008 exceeds the 100000000-byte safety limit"));
  }
  SECTION("header is not valid JSON") {
    write_bytes(p, st_bytes(R"({"w": {"dtype": "F32", )"));
    REQUIRE_LOAD_FAILS(p, Contains("header is not valid JSON"));
  }
  SECTION("header has garbage after the JSON") {
    write_bytes(p, st_bytes("{}  x"));
    REQUIRE_LOAD_FAILS(p, Contains("header is not valid JSON"));
  }
  SECTION("header is not UTF-8") {
    write_bytes(p, st_bytes("{\"w\xff\xfe\": 1}"));
    REQUIRE_LOAD_FAILS(p, Contains("header is not valid JSON"));
  }
  SECTION("header of zero bytes") {
    write_bytes(p, le64(0));
    REQUIRE_LOAD_FAILS(p, Contains("header is not valid JSON"));
  }
  SECTION("header is not an object") {
    write_bytes(p, st_bytes("[1, 2]  "));
    REQUIRE_LOAD_FAILS(p, Contains("header must be a JSON object, not array"));
  }
  SECTION("header nested absurdly deep") {
    write_bytes(p, st_bytes("{\"w\":" + std::string(100000, '[') + std::string(100000, ']') + "}"));
    REQUIRE_LOAD_FAILS(p, Contains("nested deeper than"));
  }
  SECTION("the same tensor twice") {
    write_bytes(p, st_bytes(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                            R"("w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})",
                            f32x4));
    REQUIRE_LOAD_FAILS(p, Contains("header names 'w' twice"));
  }
  SECTION("__metadata__ is not an object of strings") {
    write_bytes(p, st_bytes(R"({"__metadata__":["pt"]})"));
    REQUIRE_LOAD_FAILS(p, Contains("\"__metadata__\" must be a JSON object of strings"));
    write_bytes(p, st_bytes(R"({"__metadata__":{"format":"pt","epochs":3}})"));
    REQUIRE_LOAD_FAILS(p, Contains("\"__metadata__\" entry 'epochs' must be a string"));
  }
  SECTION("tensor entry is not an object") {
    write_bytes(p, st_bytes(R"({"w":[0,16]})"));
    REQUIRE_LOAD_FAILS(p, Contains("tensor 'w': header entry must be a JSON object"));
  }
  SECTION("tensor entry lacks dtype") {
    write_bytes(p, st_bytes(R"({"w":{"shape":[4],"data_offsets":[0,16]}})", f32x4));
    REQUIRE_LOAD_FAILS(p, Contains("tensor 'w': header entry has no \"dtype\""));
  }
  SECTION("tensor entry lacks shape") {
    write_bytes(p, st_bytes(R"({"w":{"dtype":"F32","data_offsets":[0,16]}})", f32x4));
    REQUIRE_LOAD_FAILS(p, Contains("tensor 'w': header entry has no \"shape\""));
  }
  SECTION("tensor entry lacks data_offsets") {
    write_bytes(p, st_bytes(R"({"w":{"dtype":"F32","shape":[4]}})", f32x4));
    REQUIRE_LOAD_FAILS(p, Contains("tensor 'w': header entry has no \"data_offsets\""));
  }
  SECTION("dtype is not a string") {
    write_bytes(p, st_bytes(R"({"w":{"dtype":7,"shape":[4],"data_offsets":[0,16]}})", f32x4));
    REQUIRE_LOAD_FAILS(p, Contains("tensor 'w': \"dtype\" must be a string, not number"));
  }
  SECTION("shape is not an array") {
    write_bytes(p, st_bytes(R"({"w":{"dtype":"F32","shape":"4","data_offsets":[0,16]}})", f32x4));
    REQUIRE_LOAD_FAILS(p, Contains("tensor 'w': \"shape\" must be an array of integers, not string"));
  }
  SECTION("shape holds a non-integer") {
    write_bytes(p, st_bytes(R"({"w":{"dtype":"F32","shape":[4.0],"data_offsets":[0,16]}})", f32x4));
    REQUIRE_LOAD_FAILS(p, Contains("tensor 'w': \"shape\" must be an array of integers, but holds 4.0"));
    write_bytes(p, st_bytes(R"({"w":{"dtype":"F32","shape":[null],"data_offsets":[0,16]}})", f32x4));
    REQUIRE_LOAD_FAILS(p, Contains("tensor 'w': \"shape\" must be an array of integers, but holds null"));
  }
  SECTION("data_offsets of the wrong form") {
    for (const std::string offsets : {R"([0])", R"([0,16,16])", R"([0,"16"])", R"([-16,0])",
                                      R"({"begin":0})", R"([0,16.0])", R"(16)"}) {
      INFO("data_offsets " << offsets);
      write_bytes(p, st_bytes(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":)" + offsets + "}}",
                              f32x4));
      REQUIRE_LOAD_FAILS(p, Contains("tensor 'w': \"data_offsets\" must be an array of two "
                                     "non-negative integers"));
    }
  }
  SECTION("unknown dtype") {
    write_bytes(p, st_bytes(R"({"w":{"dtype":"F8_E9","shape":[4],"data_offsets":[0,16]}})", f32x4));
    REQUIRE_LOAD_FAILS(p, Contains("tensor 'w': unknown dtype 'F8_E9'"));
  }
  SECTION("a dtype LibTorch lacks") {
    write_bytes(p, st_bytes(R"({"w":{"dtype":"U16","shape":[8],"data_offsets":[0,16]}})", f32x4));
    REQUIRE_LOAD_FAILS(p, Contains("tensor 'w': unsupported dtype 'U16'"));
  }
  SECTION("negative dimension") {
    write_bytes(p, st_bytes(R"({"w":{"dtype":"F32","shape":[2,-2],"data_offsets":[0,16]}})", f32x4));
    REQUIRE_LOAD_FAILS(p, Contains("tensor 'w': negative dimension -2 in shape [2,-2]"));
  }
  SECTION("shape and data_offsets disagree") {
    write_bytes(p, st_bytes(R"({"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}})",
                            raw<float>({1, 2, 3, 4, 5})));
    REQUIRE_LOAD_FAILS(p, Contains("tensor 'w': shape [2,3] of F32 needs 24 bytes but "
                                   "data_offsets span 20"));
  }
  SECTION("a zero-element shape with bytes") {
    write_bytes(p, st_bytes(R"({"w":{"dtype":"F32","shape":[4,0],"data_offsets":[0,16]}})", f32x4));
    REQUIRE_LOAD_FAILS(p, Contains("tensor 'w': shape [4,0] of F32 needs 0 bytes but "
                                   "data_offsets span 16"));
  }
  SECTION("sizes that overflow") {
    // 2^62 x 2^62 elements; 2^62 F32 elements (2^64 bytes); a dimension past int64; and a
    // zero-element shape whose strides would still overflow.
    for (const std::string shape :
         {"[4611686018427387904,4611686018427387904]", "[4611686018427387904]",
          "[18446744073709551615]", "[9223372036854775807,2]",
          "[4611686018427387904,4611686018427387904,0]"}) {
      INFO("shape " << shape);
      write_bytes(p, st_bytes(R"({"w":{"dtype":"F32","shape":)" + shape +
                                  R"(,"data_offsets":[0,16]}})",
                              f32x4));
      REQUIRE_LOAD_FAILS(p, Contains("tensor 'w': ") && Contains("too large"));
    }
    // Past uint64, JSON parses the number as a double.
    write_bytes(p, st_bytes(R"({"w":{"dtype":"F32","shape":[99999999999999999999999],)"
                            R"("data_offsets":[0,16]}})",
                            f32x4));
    REQUIRE_LOAD_FAILS(p, Contains("tensor 'w': \"shape\" must be an array of integers"));
  }
  SECTION("begin > end") {
    write_bytes(p, st_bytes(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}})", f32x4));
    REQUIRE_LOAD_FAILS(p, Contains("tensor 'w': data_offsets [8, 4] have begin > end"));
  }
  SECTION("end past the data buffer") {
    write_bytes(p, st_bytes(R"({"w":{"dtype":"F32","shape":[6],"data_offsets":[0,24]}})", f32x4));
    REQUIRE_LOAD_FAILS(p, Contains("tensor 'w': data_offsets [0, 24) are outside the data "
                                   "buffer of 16 bytes"));
  }
  SECTION("offsets near 2^64") {
    write_bytes(p, st_bytes(R"({"w":{"dtype":"F32","shape":[1],)"
                            R"("data_offsets":[18446744073709551612,18446744073709551615]}})",
                            f32x4));
    REQUIRE_LOAD_FAILS(p, Contains("tensor 'w': data_offsets") &&
                              Contains("outside the data buffer"));
  }
  SECTION("truncated data buffer") {
    save_safetensors(p, {{"a", torch::ones({4})}, {"w", torch::ones({8})}});
    fs::resize_file(p, fs::file_size(p) - 3);
    REQUIRE_LOAD_FAILS(p, Contains("tensor 'w': data_offsets") &&
                              Contains("outside the data buffer"));
  }
  SECTION("overlapping tensors") {
    write_bytes(p, st_bytes(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},)"
                            R"("b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})",
                            f32x4));
    REQUIRE_LOAD_FAILS(p, Contains("tensors 'a' and 'b' overlap (bytes [0, 12) and [8, 16))"));
  }
  SECTION("a tensor within another") {
    write_bytes(p, st_bytes(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                            R"("b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                            R"("c":{"dtype":"I8","shape":[2],"data_offsets":[12,14]}})",
                            f32x4));
    REQUIRE_LOAD_FAILS(p, Contains("overlap"));
  }
  SECTION("BOOL bytes other than 0 and 1") {
    write_bytes(p, st_bytes(R"({"m":{"dtype":"BOOL","shape":[3],"data_offsets":[0,3]}})",
                            std::string("\x01\x02\x00", 3)));
    REQUIRE_LOAD_FAILS(p, Contains("tensor 'm': BOOL element 1 has byte value 2"));
  }
}

TEST_CASE("safetensors: saving rejects what the format cannot hold", "[safetensors]") {
  temp_dir dir;
  const auto p = dir / "out.safetensors";
  auto require_save_fails = [&](const named_tensors& tensors, const std::string& what) {
    REQUIRE_THROWS_WITH(save_safetensors(p, tensors), StartsWith(p.string() + ": ") && Contains(what));
    CHECK(count_entries(dir.path) == 0);
  };
  require_save_fails({{"w", torch::zeros({1})}, {"w", torch::zeros({1})}}, "tensor name 'w' given twice");
  require_save_fails({{"__metadata__", torch::zeros({1})}}, "'__metadata__'");
  require_save_fails({{"c", torch::zeros({2}, torch::kComplexFloat)}}, "tensor 'c': dtype ComplexFloat");
  require_save_fails({{"u", torch::Tensor()}}, "tensor 'u': undefined tensor");
  require_save_fails({{"bad\xff", torch::zeros({1})}}, "valid UTF-8");
  REQUIRE_THROWS_WITH(save_safetensors(dir / "no" / "such" / "dir.safetensors", {{"w", torch::zeros({1})}}),
                      Contains("cannot create the temporary file"));
}

TEST_CASE("safetensors: mutated and truncated files only ever load or throw autopeft::error",
          "[safetensors]") {
  temp_dir dir;
  torch::manual_seed(3);
  const auto valid = dir / "valid.safetensors";
  save_safetensors(valid,
                   {{"weight", torch::randn({4, 3})},
                    {"bias", torch::randn({3}).to(torch::kHalf)},
                    {"scale", torch::randn({2}).to(torch::kBFloat16)},
                    {"ids", torch::arange(5, torch::kLong)},
                    {"mask", torch::tensor({true, false, true})},
                    {"small", torch::tensor({1, 2}, torch::kChar)}},
                   {{"format", "pt"}});
  const std::string original = read_bytes(valid);
  const std::uint64_t header_len = read_le64(original);

  std::mt19937_64 rng(20261122);
  auto uniform = [&](std::uint64_t lo, std::uint64_t hi) {
    return std::uniform_int_distribution<std::uint64_t>(lo, hi)(rng);
  };
  const char interesting_chars[] = "0123456789-+.eE\"{}[],: \\nulltrue\x00\xff";
  const std::string interesting(interesting_chars, sizeof interesting_chars - 1);
  const auto p = dir / "mutant.safetensors";
  int accepted = 0;
  int rejected = 0;
  for (int i = 0; i < 300; ++i) {
    std::string bytes = original;
    const auto kind = uniform(0, 5);
    switch (kind) {
      case 0:  // random bytes anywhere
        for (auto k = uniform(1, 4); k > 0; --k) {
          bytes[uniform(0, bytes.size() - 1)] = static_cast<char>(uniform(0, 255));
        }
        break;
      case 1:  // JSON-ish characters in the header
        for (auto k = uniform(1, 3); k > 0; --k) {
          bytes[uniform(8, 8 + header_len - 1)] = interesting[uniform(0, interesting.size() - 1)];
        }
        break;
      case 2:  // truncation
        bytes.resize(uniform(0, bytes.size() - 1));
        break;
      case 3: {  // another header length
        const std::uint64_t n = uniform(0, 1) ? uniform(0, 2 * header_len) : rng();
        bytes.replace(0, 8, le64(n));
        break;
      }
      case 4: {  // delete a run of header bytes, keeping the header length as it was
        const auto at = uniform(8, 8 + header_len - 1);
        bytes.erase(at, uniform(1, std::min<std::uint64_t>(16, 8 + header_len - at)));
        break;
      }
      default:  // a digit of the header (shapes, offsets) becomes another digit
        for (int tries = 0; tries < 100; ++tries) {
          const auto at = uniform(8, 8 + header_len - 1);
          if (bytes[at] >= '0' && bytes[at] <= '9') {
            bytes[at] = static_cast<char>('0' + uniform(0, 9));
            break;
          }
        }
        break;
    }
    write_bytes(p, bytes);
    try {
      const auto content = load_safetensors(p, i % 2 ? std::optional(torch::kFloat) : std::nullopt);
      for (const auto& [name, t] : content.tensors) CHECK(t.is_contiguous());
      ++accepted;
    } catch (const autopeft::error& e) {
      CHECK_THAT(e.what(), StartsWith(p.string() + ": "));
      ++rejected;
    } catch (const std::exception& e) {
      FAIL("mutation " << i << " (kind " << kind << ") threw a non-autopeft exception: "
                       << e.what());
    }
  }
  CHECK(accepted + rejected == 300);
  CHECK(accepted > 0);
  CHECK(rejected > 0);
}
