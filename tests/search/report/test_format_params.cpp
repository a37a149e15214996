// brief_params: one line per configuration, read the same by the command line and the report.
#include <autopeft/search/report/format_params.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

TEST_CASE("brief_params: a layer mask reads as 1s and 0s, bookkeeping is left out", "[search][report]") {
  using autopeft::search::brief_params;
  const nlohmann::json p = {{"sa", 3}, {"pa", 0}, {"layers", {true, true, false, true, true, true}}, {"_source", 7}};
  CHECK(brief_params(p) == "layers=110111 pa=0 sa=3");  // nlohmann::json keeps keys sorted
  CHECK(brief_params(nlohmann::json::object()).empty());
  CHECK(brief_params({{"_seed_index", 2}}).empty());
  CHECK(brief_params({{"name", "lora"}, {"lr", 0.0003}, {"sizes", {1, 2}}, {"none", nullptr}}) ==
        "lr=0.0003 name=lora none=null sizes=[1,2]");
  CHECK(brief_params({{"mixed", {true, 1}}}) == "mixed=[true,1]");  // a mask only when all are booleans
  CHECK(brief_params({{"empty", nlohmann::json::array()}}) == "empty=[]");
  CHECK(brief_params(nlohmann::json()).empty());
  CHECK(brief_params(nlohmann::json::array({1, 2})) == "[1,2]");
  CHECK_NOTHROW(brief_params({{"k", "\xff\xfe"}, {"nested", {{"bad", "\xc3"}}}}));
}
