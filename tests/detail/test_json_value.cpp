// json_value<T>: a JSON value as T with no silent conversion. Found by fuzzing: nlohmann's
// get<std::int64_t>() on 1e300 is a float-to-integer cast out of range (undefined behaviour),
// so a config holding "vocab_size": 1e300 crashed under UBSan.
#include <autopeft/detail/json_value.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

using autopeft::detail::json_value;
using nlohmann::json;

TEST_CASE("json_value takes what fits the type", "[detail][json]") {
  CHECK(json_value<std::int64_t>(json(-7)) == -7);
  CHECK(json_value<std::int64_t>(json::parse("9223372036854775807")) == INT64_MAX);
  CHECK(json_value<int>(json(2147483647)) == 2147483647);
  CHECK(json_value<std::uint64_t>(json::parse("18446744073709551615")) == UINT64_MAX);
  CHECK(json_value<double>(json(3)) == 3.0);
  CHECK(json_value<double>(json(0.25)) == 0.25);
  CHECK(json_value<bool>(json(true)));
  CHECK(json_value<std::string>(json("x")) == "x");
  CHECK(json_value<std::vector<std::int64_t>>(json::parse("[1, 2]")) == std::vector<std::int64_t>{1, 2});
}

TEST_CASE("json_value refuses what get<T>() would convert silently or undefinedly", "[detail][json]") {
  using type_error = json::type_error;
  CHECK_THROWS_AS(json_value<std::int64_t>(json::parse("1e300")), type_error);  // UB in get<>()
  CHECK_THROWS_AS(json_value<std::int64_t>(json(3.7)), type_error);            // truncated
  CHECK_THROWS_AS(json_value<std::int64_t>(json::parse("9223372036854775808")), type_error);  // wraps
  CHECK_THROWS_AS(json_value<int>(json(std::int64_t{1} << 40)), type_error);
  CHECK_THROWS_AS(json_value<std::uint64_t>(json(-1)), type_error);
  CHECK_THROWS_AS(json_value<bool>(json(1)), type_error);
  CHECK_THROWS_AS(json_value<double>(json("1.5")), type_error);
  CHECK_THROWS_AS(json_value<std::string>(json(1)), type_error);
  CHECK_THROWS_AS(json_value<std::vector<std::int64_t>>(json::parse("[1, 1e300]")), type_error);
  CHECK_THROWS_AS(json_value<std::vector<std::int64_t>>(json(1)), type_error);
  CHECK_THROWS_WITH(json_value<int>(json(2.5)), Catch::Contains("expected an integer, got 2.5"));
}
