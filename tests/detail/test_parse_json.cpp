// parse_json: nlohmann's parser with a nesting limit, so that no later copy, comparison or dump
// of a parsed value recurses deep enough to overflow the stack (found by fuzzing vocab.json).
#include <autopeft/detail/parse_json.hpp>

#include <catch2/catch.hpp>

#include <sstream>
#include <string>

using autopeft::detail::parse_json;

TEST_CASE("parse_json parses what nlohmann parses, up to the nesting limit", "[detail][json]") {
  CHECK(parse_json(std::string(R"({"a": [1, {"b": null}]})"))["a"][1].contains("b"));
  std::istringstream in(R"({"vocab_size": 30522})");
  CHECK(parse_json(in)["vocab_size"] == 30522);
  const auto nested = [](int depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  CHECK(parse_json(nested(autopeft::detail::max_json_depth)).is_array());
  CHECK_THROWS_AS(parse_json(nested(autopeft::detail::max_json_depth + 1)), nlohmann::json::parse_error);
  CHECK_THROWS_WITH(parse_json(nested(500000)), Catch::Contains("nest deeper than 64 levels"));
  CHECK_THROWS_AS(parse_json(std::string("{")), nlohmann::json::parse_error);
}
