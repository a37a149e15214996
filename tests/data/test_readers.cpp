#include <autopeft/data/readers.hpp>

#include "../support/scratch_dir.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using namespace autopeft::data;
using autopeft::file_error;
using autopeft::testing::scratch_dir;
using Catch::Contains;
using Catch::StartsWith;

/// Writes `bytes` exactly (binary mode: no newline translation).
fs::path write_file(const scratch_dir& d, const std::string& name, const std::string& bytes) {
  const auto p = d / name;
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
  return p;
}

/// The message of the line_error that `f` throws; fails the test when it throws none.
template <class F>
std::string row_error_of(F&& f) {
  try {
    f();
  } catch (const line_error& e) {
    return e.what();
  }
  FAIL("expected an autopeft::data::line_error");
  return {};
}

/// "path:LINE:", the prefix every row error starts with.
std::string located(const fs::path& p, int line) {
  return p.string() + ":" + std::to_string(line) + ":";
}

const std::string mnli_train_header =
    "index\tpromptID\tpairID\tgenre\tsentence1_binary_parse\tsentence2_binary_parse\t"
    "sentence1_parse\tsentence2_parse\tsentence1\tsentence2\tlabel1\tgold_label\n";
const std::string mnli_dev_header =
    "index\tpromptID\tpairID\tgenre\tsentence1_binary_parse\tsentence2_binary_parse\t"
    "sentence1_parse\tsentence2_parse\tsentence1\tsentence2\tlabel1\tlabel2\tlabel3\tlabel4\t"
    "label5\tgold_label\n";
const std::string mnli_test_header =
    "index\tpromptID\tpairID\tgenre\tsentence1_binary_parse\tsentence2_binary_parse\t"
    "sentence1_parse\tsentence2_parse\tsentence1\tsentence2\n";
const std::string parses = "( ( A ) B )\t( C D )\t(ROOT (S (NP A) B))\t(ROOT (S C D))\t";

const std::string stsb_header =
    "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore\n";

}  // namespace

// ---------------------------------------------------------------------------------------- GLUE

TEST_CASE("read_glue: CoLA train/dev have no header, test has 'index sentence'", "[data][glue]") {
  scratch_dir d{"glue"};
  const auto train =
      write_file(d, "CoLA/train.tsv",
                 "gj04\t1\t\tOur friends won't buy this analysis, let alone the next "
                 "one we propose.\n"
                 "gj04\t0\t*\tThey drank the pub.\n"
                 "\n"  // a blank line is no row
                 "bc01\t1\t\tThe \"sailors\" rode the breeze clear of the rocks.\n");
  const auto rows = read_glue(glue_task::cola, train);
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].text_a ==
        "Our friends won't buy this analysis, let alone the next one we propose.");
  CHECK(rows[0].label == 1);
  CHECK(rows[1].text_a == "They drank the pub.");
  CHECK(rows[1].label == 0);
  CHECK(rows[2].text_a == "The \"sailors\" rode the breeze clear of the rocks.");  // quotes kept
  CHECK_FALSE(rows[0].is_pair());
  CHECK(rows[0].id == "0");
  CHECK(rows[2].id == "2");
  CHECK(rows[2].line == 4);

  const auto test = write_file(d, "CoLA/test.tsv",
                               "index\tsentence\n0\tBill whistled past the house.\n"
                               "1\tThe car honked its way down the road.\n");
  const auto t = read_glue(glue_task::cola, test);
  REQUIRE(t.size() == 2);
  CHECK(t[1].text_a == "The car honked its way down the road.");
  CHECK(t[1].id == "1");
  CHECK(t[1].label == -1);
  CHECK_FALSE(t[1].is_labelled());
}

TEST_CASE("read_glue: SST-2 keeps text verbatim and finds columns by name", "[data][glue]") {
  scratch_dir d{"glue"};
  const auto train = write_file(d, "train.tsv",
                                "sentence\tlabel\n"
                                "hide new secretions from the parental units \t0\n"
                                "that loves its characters and communicates something rather "
                                "beautiful about human nature \t1\n");
  const auto rows = read_glue(glue_task::sst2, train);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].text_a == "hide new secretions from the parental units ");  // trailing space kept
  CHECK(rows[0].label == 0);
  CHECK(rows[1].label == 1);
  CHECK(rows[0].id == "0");

  // The same data with the columns swapped reads the same.
  const auto swapped = write_file(
      d, "swapped.tsv", "label\tsentence\n0\thide new secretions from the parental units \n");
  const auto s = read_glue(glue_task::sst2, swapped);
  REQUIRE(s.size() == 1);
  CHECK(s[0].text_a == rows[0].text_a);
  CHECK(s[0].label == 0);

  const auto test =
      write_file(d, "test.tsv", "index\tsentence\n0\tuneasy mishmash of styles and genres .\n");
  const auto t = read_glue(glue_task::sst2, test);
  REQUIRE(t.size() == 1);
  CHECK(t[0].label == -1);
  CHECK(t[0].id == "0");
}

TEST_CASE("read_glue: MRPC with a byte order mark, CRLF endings and literal quotes",
          "[data][glue]") {
  scratch_dir d{"glue"};
  const auto train = write_file(
      d, "train.tsv",
      "\xEF\xBB\xBFQuality\t#1 ID\t#2 ID\t#1 String\t#2 String\r\n"
      "1\t702876\t702977\tAmrozi accused his brother , whom he called \" the witness \" , of "
      "deliberately distorting his evidence .\tReferring to him as only \" the witness \" , "
      "Amrozi accused his brother of deliberately distorting his evidence .\r\n"
      "0\t2108705\t2108831\tYucaipa owned Dominick 's before selling the chain to Safeway in 1998 "
      "for $ 2.5 billion .\tYucaipa bought Dominick 's in 1995 for $ 693 million and sold it to "
      "Safeway for $ 1.8 billion in 1998 .\r\n");
  const auto rows = read_glue(glue_task::mrpc, train);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].label == 1);
  CHECK(rows[1].label == 0);
  CHECK(rows[0].text_a ==
        "Amrozi accused his brother , whom he called \" the witness \" , of deliberately "
        "distorting his evidence .");
  REQUIRE(rows[0].is_pair());
  CHECK(rows[1].text_b.value() ==
        "Yucaipa bought Dominick 's in 1995 for $ 693 million and sold it to Safeway for $ 1.8 "
        "billion in 1998 .");  // no '\r' left
  CHECK(rows[1].line == 3);

  // The test file names its first column "index" and its last line has no newline.
  const auto test =
      write_file(d, "test.tsv",
                 "index\t#1 ID\t#2 ID\t#1 String\t#2 String\n"
                 "0\t1089874\t1089925\tPCCW 's chief operating officer , Mike Butcher , "
                 "and Alex Arena , the chief financial officer , will report directly to "
                 "Mr So .\tCurrent Chief Operating Officer Mike Butcher and Group Chief "
                 "Financial Officer Alex Arena will report to So .");
  const auto t = read_glue(glue_task::mrpc, test);
  REQUIRE(t.size() == 1);
  CHECK(t[0].label == -1);
  CHECK(t[0].id == "0");
  CHECK(t[0].text_b.value() ==
        "Current Chief Operating Officer Mike Butcher and Group Chief Financial Officer Alex "
        "Arena will report to So .");
}

TEST_CASE("read_glue: QQP uses the id column", "[data][glue]") {
  scratch_dir d{"glue"};
  const auto train =
      write_file(d, "train.tsv",
                 "id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate\n"
                 "133273\t213221\t213222\tHow is the life of a math student? Could you "
                 "describe your own experiences?\tWhich level of prepration is enough "
                 "for the exam jlpt5?\t0\n"
                 "402555\t536040\t536041\tHow do I control my horny emotions?\tHow do "
                 "you control your horniness?\t1\n");
  const auto rows = read_glue(glue_task::qqp, train);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].id == "133273");
  CHECK(rows[0].label == 0);
  CHECK(rows[1].id == "402555");
  CHECK(rows[1].label == 1);
  CHECK(rows[1].text_a == "How do I control my horny emotions?");
  CHECK(rows[1].text_b.value() == "How do you control your horniness?");

  const auto test =
      write_file(d, "test.tsv",
                 "id\tquestion1\tquestion2\n"
                 "0\tWhy do rockets look white?\tWhy are rockets and boosters painted "
                 "white?\n");
  const auto t = read_glue(glue_task::qqp, test);
  REQUIRE(t.size() == 1);
  CHECK(t[0].label == -1);
  CHECK(t[0].text_b.value() == "Why are rockets and boosters painted white?");
}

TEST_CASE("read_glue: STS-B reads scores; its test file gives NaN scores", "[data][glue]") {
  scratch_dir d{"glue"};
  const auto dev =
      write_file(d, "dev.tsv",
                 stsb_header +
                     "0\tmain-captions\tMSRvid\t2012test\t0000\tnone\tnone\tA man with a "
                     "hard hat is dancing.\tA man wearing a hard hat is dancing.\t5.000\n"
                     "3\tmain-captions\tMSRvid\t2012test\t0007\tnone\tnone\tA woman is "
                     "playing the guitar.\tA man is playing guitar.\t2.400\n");
  const auto rows = read_glue(glue_task::stsb, dev);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].score == 5.0);
  CHECK(rows[1].score == 2.4);
  CHECK(rows[1].id == "3");
  CHECK(rows[1].label == -1);  // regression: the target is the score
  CHECK(rows[1].text_a == "A woman is playing the guitar.");
  CHECK(rows[1].text_b.value() == "A man is playing guitar.");

  const auto test = write_file(
      d, "test.tsv",
      "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\n"
      "0\tmain-news\theadlines\t2016\t0001\tnone\tnone\tSafety of LPG tankers on the road.\t"
      "Safety of LPG tankers on the road.\n");
  const auto t = read_glue(glue_task::stsb, test);
  REQUIRE(t.size() == 1);
  CHECK(std::isnan(t[0].score));
}

TEST_CASE("read_glue: MNLI maps gold_label in HuggingFace order and uses pairID", "[data][glue]") {
  scratch_dir d{"glue"};
  const auto train = write_file(
      d, "train.tsv",
      mnli_train_header + "0\t31193\t31193n\tgovernment\t" + parses +
          "Conceptually cream skimming has two basic dimensions - product and geography.\t"
          "Product and geography are what make cream skimming work. \tneutral\tneutral\n" +
          "1\t101457\t101457e\ttelephone\t" + parses +
          "you know during the season and i guess at at your level uh you lose them to the next "
          "level\tYou lose the things to the following level if the people recall.\tentailment\t"
          "entailment\n" +
          "2\t134793\t134793c\tfiction\t" + parses +
          "\"Gotta be careful,\" he said.\tHe didn't say "
          "anything.\tcontradiction\tcontradiction\n");
  const auto rows = read_glue(glue_task::mnli, train);
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].label == 1);  // neutral
  CHECK(rows[1].label == 0);  // entailment
  CHECK(rows[2].label == 2);  // contradiction
  CHECK(rows[0].id == "31193n");
  CHECK(rows[0].text_b.value() == "Product and geography are what make cream skimming work. ");
  CHECK(rows[2].text_a == "\"Gotta be careful,\" he said.");

  // dev has five annotator labels; only gold_label counts.
  const auto dev =
      write_file(d, "dev_matched.tsv",
                 mnli_dev_header + "0\t63735\t63735n\tslate\t" + parses +
                     "The new rights are nice enough\tEveryone really likes the newest "
                     "benefits \tneutral\tentailment\tneutral\tneutral\tneutral\tneutral\n");
  const auto dv = read_glue(glue_task::mnli, dev);
  REQUIRE(dv.size() == 1);
  CHECK(dv[0].label == 1);

  const auto test = write_file(d, "test_matched.tsv",
                               mnli_test_header + "0\t31618\t31618\tgovernment\t" + parses +
                                   "Hierbas, ans seco, ans dulce, and frigola are just a few names "
                                   "worth keeping a look-out for.\tHierbas is a name worth looking "
                                   "out for.\n");
  const auto t = read_glue(glue_task::mnli, test);
  REQUIRE(t.size() == 1);
  CHECK(t[0].label == -1);
  CHECK(t[0].id == "31618");
}

TEST_CASE("read_glue: QNLI, RTE and WNLI", "[data][glue]") {
  scratch_dir d{"glue"};
  const auto qnli =
      write_file(d, "qnli.tsv",
                 "index\tquestion\tsentence\tlabel\n"
                 "0\tWhat came into force after the new constitution was herald?\tAs of "
                 "that day, the new constitution heralding the Second Republic came into "
                 "force.\tentailment\n"
                 "1\tWhat is the first major city in the stream of the Rhine?\tThe most "
                 "important tributaries in this area are the Ill below of Strasbourg, "
                 "the Neckar in Mannheim and the Main across from Mainz.\tnot_entailment\n");
  const auto q = read_glue(glue_task::qnli, qnli);
  REQUIRE(q.size() == 2);
  CHECK(q[0].label == 0);
  CHECK(q[1].label == 1);
  CHECK(q[1].text_a == "What is the first major city in the stream of the Rhine?");
  CHECK(q[1].id == "1");

  const auto rte =
      write_file(d, "rte.tsv",
                 "index\tsentence1\tsentence2\tlabel\n"
                 "0\tNo Weapons of Mass Destruction Found in Iraq Yet.\tWeapons of Mass "
                 "Destruction Found in Iraq.\tnot_entailment\n"
                 "1\tA place of sorrow, after Pope John Paul II died, became a place of "
                 "celebration, as Roman Catholic faithful gathered in downtown Chicago to "
                 "mark the installation of new Pope Benedict XVI.\tPope Benedict XVI is "
                 "the new leader of the Roman Catholic Church.\tentailment\n");
  const auto r = read_glue(glue_task::rte, rte);
  REQUIRE(r.size() == 2);
  CHECK(r[0].label == 1);
  CHECK(r[1].label == 0);
  CHECK(r[0].text_b.value() == "Weapons of Mass Destruction Found in Iraq.");

  const auto wnli =
      write_file(d, "wnli.tsv",
                 "index\tsentence1\tsentence2\tlabel\n"
                 "0\tI stuck a pin through a carrot. When I pulled the pin out, it had a "
                 "hole.\tThe carrot had a hole.\t1\n"
                 "2\tSteve follows Fred's example in everything. He influences him "
                 "hugely.\tSteve influences him hugely.\t0\n");
  const auto w = read_glue(glue_task::wnli, wnli);
  REQUIRE(w.size() == 2);
  CHECK(w[0].label == 1);  // 1 = entailment in the file and in HF's order
  CHECK(w[1].label == 0);
  CHECK(w[1].id == "2");
}

TEST_CASE("glue_task names, folders, labels and metrics", "[data][glue]") {
  for (auto t : all_glue_tasks) {
    CHECK(glue_task_from_string(to_string(t)) == t);
    CHECK(glue_task_from_string(glue_folder(t)) == t);
    const auto info = glue_info(t);
    CHECK(info.name == to_string(t));
    CHECK(info.metric == glue_metrics(t).front());
    CHECK(info.regression == (t == glue_task::stsb));
  }
  CHECK(glue_task_from_string("STS-B") == glue_task::stsb);
  CHECK_THROWS_WITH(glue_task_from_string("squad"), Contains("cola, sst2"));
  CHECK(glue_info(glue_task::cola).metric == metric_kind::matthews);
  CHECK(glue_info(glue_task::mnli).labels ==
        std::vector<std::string>{"entailment", "neutral", "contradiction"});
  CHECK(glue_info(glue_task::wnli).labels ==
        std::vector<std::string>{"not_entailment", "entailment"});
  CHECK(glue_info(glue_task::stsb).num_labels() == 1);
  // Parenthesised: glog's operator<< for vectors (in the test suite's precompiled header) would
  // otherwise ask for one for metric_kind when Catch prints the operands.
  CHECK((glue_metrics(glue_task::stsb) ==
         std::vector<metric_kind>{metric_kind::spearman, metric_kind::pearson}));
  CHECK((glue_metrics(glue_task::qqp) ==
         std::vector<metric_kind>{metric_kind::f1, metric_kind::accuracy}));
}

TEST_CASE("load_glue reads a task folder (MNLI: the matched files)", "[data][glue]") {
  scratch_dir d{"glue"};
  const auto row = [](const char* pair, const char* label) {
    return std::string("0\t1\t") + pair + "\tfiction\t" + parses + "A man.\tA person.\t" + label +
           "\t" + label + "\n";
  };
  write_file(d, "MNLI/train.tsv",
             mnli_train_header + row("1e", "entailment") + row("2c", "contradiction"));
  write_file(d, "MNLI/dev_matched.tsv", mnli_train_header + row("3n", "neutral"));
  write_file(d, "MNLI/dev_mismatched.tsv", mnli_train_header + row("4e", "entailment"));
  write_file(d, "MNLI/test_matched.tsv",
             mnli_test_header + "0\t1\t5\tfiction\t" + parses + "A.\tB.\n");

  read_report report;
  const auto t = load_glue(glue_task::mnli, d / "MNLI", {}, &report);
  CHECK(t.info.name == "mnli");
  CHECK(t.info.num_labels() == 3);
  REQUIRE(t.train.size() == 2);
  REQUIRE(t.dev.size() == 1);
  CHECK(t.dev[0].id == "3n");
  REQUIRE(t.test.size() == 1);
  CHECK(t.test[0].label == -1);
  CHECK(report.examples == 4);
  CHECK(report.skipped == 0);

  // The test file is optional.
  fs::remove(d / "MNLI/test_matched.tsv");
  CHECK(load_glue(glue_task::mnli, d / "MNLI").test.empty());

  // The glue_data root instead of the task's folder: the message says which folder to pass.
  CHECK_THROWS_WITH(load_glue(glue_task::mnli, d.path), Contains("pass the task's folder"));
  CHECK_THROWS_AS(load_glue(glue_task::rte, d / "RTE"), file_error);

  // A train file without labels is refused.
  write_file(d, "SST-2/train.tsv", "index\tsentence\n0\tgood .\n");
  write_file(d, "SST-2/dev.tsv", "sentence\tlabel\ngood .\t1\n");
  CHECK_THROWS_WITH(load_glue(glue_task::sst2, d / "SST-2"),
                    Contains("train.tsv") && Contains("has no 'label' column"));
}

TEST_CASE("read_glue: bad rows name the file, line and field", "[data][glue][errors]") {
  scratch_dir d{"glue"};
  SECTION("too few fields names the missing one") {
    const auto p = write_file(d, "train.tsv",
                              "Quality\t#1 ID\t#2 ID\t#1 String\t#2 String\n"
                              "1\t1\t2\tA.\tB.\n"
                              "0\t3\t4\tOnly one sentence.\n");
    const auto what = row_error_of([&] { (void)read_glue(glue_task::mrpc, p); });
    CHECK_THAT(what, StartsWith(located(p, 3)));
    CHECK_THAT(what, Contains("found 4 fields where the header has 5"));
    CHECK_THAT(what, Contains("field '#2 String' is missing"));
    CHECK_THAT(what, Contains("on_bad_row::skip"));  // what to do
  }
  SECTION("too many fields") {
    const auto p = write_file(d, "train.tsv", "sentence\tlabel\na\tb\t1\n");
    const auto what = row_error_of([&] { (void)read_glue(glue_task::sst2, p); });
    CHECK_THAT(what, StartsWith(located(p, 2)));
    CHECK_THAT(what, Contains("extra field after 'label'"));
  }
  SECTION("an unknown label lists the accepted ones") {
    const auto p = write_file(
        d, "dev_matched.tsv",
        mnli_train_header + "0\t1\t1n\tfiction\t" + parses + "A.\tB.\tneutral\t" + "maybe\n");
    const auto what = row_error_of([&] { (void)read_glue(glue_task::mnli, p); });
    CHECK_THAT(what, StartsWith(located(p, 2)));
    CHECK_THAT(what, Contains("unknown label 'maybe'") && Contains("field 'gold_label'") &&
                         Contains("entailment, neutral, contradiction"));
  }
  SECTION("a bad score") {
    const auto p =
        write_file(d, "train.tsv", stsb_header + "0\tg\tf\ty\t0\tnone\tnone\tA.\tB.\tfive\n");
    const auto what = row_error_of([&] { (void)read_glue(glue_task::stsb, p); });
    CHECK_THAT(what, StartsWith(located(p, 2)) && Contains("field 'score'") && Contains("'five'"));
  }
  SECTION("a CoLA row with a bad label") {
    const auto p = write_file(d, "train.tsv", "gj04\t1\t\tFine.\ngj04\tyes\t\tNot fine.\n");
    const auto what = row_error_of([&] { (void)read_glue(glue_task::cola, p); });
    CHECK_THAT(what, StartsWith(located(p, 2)) && Contains("field 'label'"));
  }
  SECTION("the error is a file_error with the path and line") {
    const auto p = write_file(d, "train.tsv", "sentence\tlabel\nfine\t1\nbad\t7\n");
    try {
      (void)read_glue(glue_task::sst2, p);
      FAIL("no error");
    } catch (const file_error& e) {
      CHECK(e.file() == p);
      const auto* le = dynamic_cast<const line_error*>(&e);
      REQUIRE(le != nullptr);
      CHECK(le->line() == 3);
    }
  }
}

TEST_CASE("read_glue: file-level problems always throw", "[data][glue][errors]") {
  scratch_dir d{"glue"};
  CHECK_THROWS_WITH(read_glue(glue_task::rte, d / "nope.tsv"),
                    Contains("nope.tsv") && Contains("no such file") && Contains("glue_data/RTE"));
  CHECK_THROWS_WITH(read_glue(glue_task::rte, d.path), Contains("is a directory"));
  const auto empty = write_file(d, "empty.tsv", "");
  CHECK_THROWS_WITH(read_glue(glue_task::rte, empty), Contains("is empty"));
  // An RTE file read as QNLI: the header lacks 'question'; skipping cannot help.
  const auto rte =
      write_file(d, "rte.tsv", "index\tsentence1\tsentence2\tlabel\n0\tA.\tB.\tentailment\n");
  CHECK_THROWS_WITH(
      read_glue(glue_task::qnli, rte, {.bad_rows = on_bad_row::skip}),
      StartsWith(located(rte, 1)) && Contains("no column 'question'") && Contains("sentence1"));
}

TEST_CASE("read_glue: on_bad_row::skip drops bad rows and counts them", "[data][glue][errors]") {
  scratch_dir d{"glue"};
  const auto p = write_file(d, "train.tsv",
                            "index\tsentence1\tsentence2\tlabel\n"
                            "0\tA.\tB.\tentailment\n"
                            "1\tC.\tD.\tcontradiction\n"  // not an RTE label
                            "2\tE.\tnot_entailment\n"     // a field short
                            "3\tG.\tH.\tnot_entailment");
  read_report report;
  const auto rows = read_glue(glue_task::rte, p, {.bad_rows = on_bad_row::skip}, &report);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].id == "0");
  CHECK(rows[1].id == "3");
  CHECK(rows[1].line == 5);
  CHECK(report.examples == 2);
  CHECK(report.skipped == 2);
  REQUIRE(report.problems.size() == 2);
  CHECK_THAT(report.problems[0], StartsWith(located(p, 3)) && Contains("'contradiction'"));
  CHECK_THAT(report.problems[1], StartsWith(located(p, 4)) && Contains("field 'label' is missing"));

  // The default throws at the first one.
  CHECK_THROWS_WITH(read_glue(glue_task::rte, p), StartsWith(located(p, 3)));
  // The report is optional.
  CHECK(read_glue(glue_task::rte, p, {.bad_rows = on_bad_row::skip}).size() == 2);
}

// ----------------------------------------------------------------------------------- SuperGLUE

TEST_CASE("read_superglue: BoolQ, CB and RTE", "[data][superglue]") {
  scratch_dir d{"superglue"};
  const auto boolq = write_file(
      d, "BoolQ/val.jsonl",
      R"({"question": "does ethanol take more energy make that produces", "passage": "Ethanol fuel -- All biomass goes through at least some of these steps.", "idx": 0, "label": false})"
      "\n"
      R"({"question": "is house tax and property tax are same", "passage": "Property tax -- Property tax or 'house tax' is a local tax on buildings.", "idx": 1, "label": true})"
      "\n");
  const auto b = read_superglue(superglue_task::boolq, boolq);
  REQUIRE(b.size() == 2);
  CHECK(b[0].label == 0);
  CHECK(b[1].label == 1);
  CHECK(b[1].text_a == "is house tax and property tax are same");
  CHECK(b[1].text_b.value() ==
        "Property tax -- Property tax or 'house tax' is a local tax on buildings.");
  CHECK(b[1].id == "1");
  CHECK(b[1].line == 2);

  const auto cb = write_file(
      d, "CB/train.jsonl",
      R"({"premise": "It was a complex language. Not written down but handed down. One might say it was peeled down.", "hypothesis": "the language was peeled down", "label": "entailment", "idx": 0})"
      "\n"
      R"({"premise": "He's weird enough to have undressed me without thinking, according to some mad notion of the \"proper\" thing to do.", "hypothesis": "he undressed me", "label": "neutral", "idx": 5})"
      "\n"
      R"({"premise": "The Paris sewers were a thing of the past.", "hypothesis": "the sewers were in use", "label": "contradiction", "idx": 9})"
      "\n");
  const auto c = read_superglue(superglue_task::cb, cb);
  REQUIRE(c.size() == 3);
  CHECK(c[0].label == 0);  // entailment
  CHECK(c[1].label == 2);  // neutral
  CHECK(c[2].label == 1);  // contradiction
  CHECK(c[1].id == "5");
  CHECK(c[1].text_a ==
        "He's weird enough to have undressed me without thinking, according to some mad notion "
        "of the \"proper\" thing to do.");  // JSON escapes decoded

  const auto rte = write_file(
      d, "RTE/val.jsonl",
      R"({"premise": "Dana Reeve, the widow of the actor Christopher Reeve, has died of lung cancer at age 44.", "hypothesis": "Christopher Reeve had an accident.", "idx": 0, "label": "not_entailment"})");
  const auto r = read_superglue(superglue_task::rte, rte);
  REQUIRE(r.size() == 1);
  CHECK(r[0].label == 1);
  CHECK(r[0].text_b.value() == "Christopher Reeve had an accident.");
}

TEST_CASE("read_superglue: COPA puts both choices into one example", "[data][superglue]") {
  scratch_dir d{"superglue"};
  const auto p = write_file(
      d, "COPA/val.jsonl",
      R"({"premise": "My body cast a shadow over the grass.", "choice1": "The sun was rising.", "choice2": "The grass was cut.", "question": "cause", "idx": 0, "label": 0})"
      "\r\n"
      R"({"premise": "The elderly woman suffered a stroke.", "choice1": "The woman's daughter came over to clean her house.", "choice2": "The woman's daughter moved in to take care of her.", "question": "effect", "idx": 1, "label": 1})"
      "\r\n");
  const auto rows = read_superglue(superglue_task::copa, p);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].text_a == "My body cast a shadow over the grass. What was the cause?");
  CHECK(rows[0].text_b.value() == "(1) The sun was rising. (2) The grass was cut.");
  CHECK(rows[0].label == 0);
  CHECK(rows[1].text_a == "The elderly woman suffered a stroke. What happened as a result?");
  CHECK(rows[1].text_b.value() ==
        "(1) The woman's daughter came over to clean her house. (2) The woman's daughter moved in "
        "to take care of her.");
  CHECK(rows[1].label == 1);
  CHECK(superglue_info(superglue_task::copa).labels ==
        std::vector<std::string>{"choice1", "choice2"});
}

TEST_CASE("read_superglue: WiC and WSC", "[data][superglue]") {
  scratch_dir d{"superglue"};
  const auto wic = write_file(
      d, "WiC/train.jsonl",
      R"({"word": "place", "sentence1": "Do you want to come over to my place later?", "sentence2": "A political system with no place for the less prominent groups.", "idx": 0, "label": false, "start1": 31, "start2": 27, "end1": 36, "end2": 32, "version": 1.1})"
      "\n");
  const auto w = read_superglue(superglue_task::wic, wic);
  REQUIRE(w.size() == 1);
  CHECK(w[0].text_a == "place: Do you want to come over to my place later?");
  CHECK(w[0].text_b.value() == "A political system with no place for the less prominent groups.");
  CHECK(w[0].label == 0);

  const auto wsc = write_file(
      d, "WSC/train.jsonl",
      R"({"text": "Mark told Pete many lies about himself, which Pete included in his book. He should have been more truthful.", "target": {"span2_index": 13, "span1_index": 0, "span1_text": "Mark", "span2_text": "He"}, "idx": 0, "label": true})"
      "\n");
  const auto s = read_superglue(superglue_task::wsc, wsc);
  REQUIRE(s.size() == 1);
  CHECK(s[0].text_a ==
        "Mark told Pete many lies about himself, which Pete included in his book. He should "
        "have been more truthful.");
  CHECK(s[0].text_b.value() == "Does \"He\" refer to \"Mark\"?");
  CHECK(s[0].label == 1);
}

TEST_CASE("read_superglue: test files are unlabelled; load_superglue needs labels in train/val",
          "[data][superglue]") {
  scratch_dir d{"superglue"};
  const std::string labelled =
      R"({"premise": "A.", "hypothesis": "B.", "label": "entailment", "idx": 0})"
      "\n";
  const std::string unlabelled = R"({"premise": "C.", "hypothesis": "D.", "idx": 7})"
                                 "\n";
  write_file(d, "CB/train.jsonl", labelled + labelled);
  write_file(d, "CB/val.jsonl", labelled);
  write_file(d, "CB/test.jsonl", unlabelled);
  const auto t = load_superglue(superglue_task::cb, d / "CB");
  CHECK(t.info.name == "cb");
  CHECK(t.info.metric == metric_kind::f1);
  CHECK(t.train.size() == 2);
  CHECK(t.dev.size() == 1);
  REQUIRE(t.test.size() == 1);
  CHECK(t.test[0].label == -1);
  CHECK(t.test[0].id == "7");

  write_file(d, "CB/val.jsonl", labelled + unlabelled);
  CHECK_THROWS_WITH(load_superglue(superglue_task::cb, d / "CB"),
                    StartsWith(located(d / "CB/val.jsonl", 2)) && Contains("missing key 'label'"));
  CHECK_THROWS_WITH(load_superglue(superglue_task::cb, d.path), Contains("pass the task's folder"));

  for (auto task : all_superglue_tasks) {
    CHECK(superglue_task_from_string(superglue_folder(task)) == task);
    CHECK(superglue_info(task).name == to_string(task));
  }
}

TEST_CASE("read_superglue: bad rows name the file, line and key", "[data][superglue][errors]") {
  scratch_dir d{"superglue"};
  const std::string good =
      R"({"premise": "A.", "hypothesis": "B.", "label": "entailment", "idx": 0})"
      "\n";
  SECTION("invalid JSON") {
    const auto p = write_file(d, "val.jsonl", good + R"({"premise": "A.", "hypothesis": )" + "\n");
    const auto what = row_error_of([&] { (void)read_superglue(superglue_task::rte, p); });
    CHECK_THAT(what, StartsWith(located(p, 2)) && Contains("invalid JSON"));
  }
  SECTION("a number out of double's range, or nesting too deep (found by fuzzing: they escaped as nlohmann's out_of_range and overflowed the stack)") {
    const auto p = write_file(d, "val.jsonl", good + R"({"premise": "A.", "hypothesis": "B.", "label": 1e999})" + "\n" +
                                                  R"({"premise": "A.", "hypothesis": "B.", "label": )" +
                                                  std::string(100000, '[') + std::string(100000, ']') + "}\n");
    const auto what = row_error_of([&] { (void)read_superglue(superglue_task::rte, p); });
    CHECK_THAT(what, StartsWith(located(p, 2)) && Contains("invalid JSON"));
    read_report report;
    CHECK(read_superglue(superglue_task::rte, p, {.bad_rows = on_bad_row::skip}, &report).size() == 1);
    CHECK(report.skipped == 2);
  }
  SECTION("not an object") {
    const auto p = write_file(d, "val.jsonl", "[1, 2]\n");
    CHECK_THAT(row_error_of([&] { (void)read_superglue(superglue_task::rte, p); }),
               StartsWith(located(p, 1)) && Contains("expected an object"));
  }
  SECTION("a missing key") {
    const auto p = write_file(d, "val.jsonl", good + R"({"premise": "A.", "label": "entailment"})");
    CHECK_THAT(row_error_of([&] { (void)read_superglue(superglue_task::rte, p); }),
               StartsWith(located(p, 2)) && Contains("missing key 'hypothesis'"));
  }
  SECTION("a missing nested key") {
    const auto p = write_file(
        d, "val.jsonl", R"({"text": "He ran.", "target": {"span2_text": "He"}, "label": true})");
    CHECK_THAT(row_error_of([&] { (void)read_superglue(superglue_task::wsc, p); }),
               Contains("missing key 'target.span1_text'"));
  }
  SECTION("a label of the wrong type") {
    const auto p = write_file(d, "val.jsonl",
                              R"({"question": "q", "passage": "p", "label": "yes", "idx": 3})");
    CHECK_THAT(row_error_of([&] { (void)read_superglue(superglue_task::boolq, p); }),
               Contains("key 'label' holds a string, expected true or false"));
  }
  SECTION("an unknown label") {
    const auto p = write_file(
        d, "val.jsonl", R"({"premise": "A.", "hypothesis": "B.", "label": "neutral", "idx": 0})");
    CHECK_THAT(row_error_of([&] { (void)read_superglue(superglue_task::rte, p); }),
               Contains("unknown label 'neutral'") && Contains("entailment, not_entailment"));
  }
  SECTION("an unknown COPA question") {
    const auto p = write_file(
        d, "val.jsonl",
        R"({"premise": "P.", "choice1": "A.", "choice2": "B.", "question": "why", "label": 0})");
    CHECK_THAT(row_error_of([&] { (void)read_superglue(superglue_task::copa, p); }),
               Contains("field 'question'"));
  }
  SECTION("skip mode") {
    const auto p =
        write_file(d, "val.jsonl", good + "{oops\n\n" + good + R"({"premise": 3})" + "\n");
    read_report report;
    const auto rows =
        read_superglue(superglue_task::rte, p, {.bad_rows = on_bad_row::skip}, &report);
    CHECK(rows.size() == 2);
    CHECK(rows[1].line == 4);
    CHECK(report.skipped == 2);
    REQUIRE(report.problems.size() == 2);
    CHECK_THAT(report.problems[1],
               StartsWith(located(p, 5)) && Contains("key 'premise' holds a number"));
  }
}

// ------------------------------------------------------------------------------ CSV and JSONL

TEST_CASE("read_csv: RFC 4180 quoting", "[data][csv]") {
  scratch_dir d{"csv"};
  const auto p = write_file(d, "reviews.csv",
                            "id,text,label\n"
                            "a1,\"Hello, world\",pos\n"
                            "a2,\"She said \"\"hi\"\" twice\",neg\n"
                            "a3,\"line one\n"
                            "line two\",pos\n"
                            "a4,plain \"quoted\" words,neg\n"
                            "a5,\"\",neg");
  const column_mapping m{.text_a = "text", .label = "label", .labels = {"neg", "pos"}, .id = "id"};
  const auto rows = read_csv(p, m);
  REQUIRE(rows.size() == 5);
  CHECK(rows[0].text_a == "Hello, world");  // the delimiter inside quotes
  CHECK(rows[0].label == 1);
  CHECK(rows[0].id == "a1");
  CHECK(rows[1].text_a == "She said \"hi\" twice");  // doubled quotes
  CHECK(rows[2].text_a == "line one\nline two");     // a line break inside quotes
  CHECK(rows[2].line == 4);
  CHECK(rows[3].line == 6);                           // the record after a two-line one
  CHECK(rows[3].text_a == "plain \"quoted\" words");  // quotes inside an unquoted field
  CHECK(rows[4].text_a.empty());
  CHECK_FALSE(rows[0].is_pair());
}

TEST_CASE("read_csv: CRLF, BOM, other delimiters, no header, regression", "[data][csv]") {
  scratch_dir d{"csv"};
  SECTION("CRLF endings inside and outside quotes, and a byte order mark") {
    const auto p =
        write_file(d, "pairs.csv", "\xEF\xBB\xBFq1,q2,dup\r\n\"first\r\nsecond\",b,1\r\nc,d,0\r\n");
    const auto rows = read_csv(p, {.text_a = "q1", .text_b = "q2", .label = "dup"});
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].text_a == "first\nsecond");
    CHECK(rows[0].text_b.value() == "b");
    CHECK(rows[0].label == 1);  // no label names: the value is the class index
    CHECK(rows[1].label == 0);
    CHECK(rows[1].id == "1");  // no id column: the row's position
  }
  SECTION("tab-separated without quoting, as GLUE") {
    const auto p = write_file(d, "raw.tsv", "s\tscore\n\"half quoted\t0.5\n");
    const auto rows = read_csv(p, {.text_a = "s", .label = "score", .regression = true},
                               {.delimiter = '\t', .quote = '\0'});
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].text_a == "\"half quoted");
    CHECK(rows[0].score == 0.5);
  }
  SECTION("no header: columns are named by position") {
    const auto p = write_file(d, "bare.csv", "x;good film;1\ny;bad film;0\n");
    const auto rows =
        read_csv(p, {.text_a = "1", .label = "2", .id = "0"}, {.delimiter = ';', .header = false});
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].text_a == "good film");
    CHECK(rows[0].id == "x");
    CHECK(rows[1].label == 0);
  }
  SECTION("unlabelled rows") {
    const auto p = write_file(d, "test.csv", "t,y,s\na,-1,\n");
    const auto cls = read_csv(p, {.text_a = "t", .label = "y", .labels = {"no", "yes"}});
    CHECK(cls.at(0).label == -1);
    const auto reg = read_csv(p, {.text_a = "t", .label = "s", .regression = true});
    CHECK(std::isnan(reg.at(0).score));
    // -1 is a valid regression score and a valid class name.
    CHECK(read_csv(p, {.text_a = "t", .label = "y", .regression = true}).at(0).score == -1.0);
    CHECK(read_csv(p, {.text_a = "t", .label = "y", .labels = {"-1", "1"}}).at(0).label == 0);
    // No label column at all.
    CHECK(read_csv(p, {.text_a = "t"}).at(0).label == -1);
  }
}

TEST_CASE("read_csv: errors name the file, line and field", "[data][csv][errors]") {
  scratch_dir d{"csv"};
  const column_mapping m{.text_a = "text", .label = "label", .labels = {"neg", "pos"}};
  SECTION("a quoted field never closed") {
    const auto p = write_file(d, "a.csv", "text,label\nok,pos\n\"open,neg\nmore,pos\n");
    const auto what = row_error_of([&] { (void)read_csv(p, m); });
    CHECK_THAT(what,
               StartsWith(located(p, 3)) && Contains("field 'text'") && Contains("never closed"));
  }
  SECTION("text after a closing quote") {
    const auto p = write_file(d, "a.csv", "text,label\n\"a\"b,pos\nfine,neg\n");
    const auto what = row_error_of([&] { (void)read_csv(p, m); });
    CHECK_THAT(what,
               StartsWith(located(p, 2)) && Contains("after the closing quote of field 'text'"));
  }
  SECTION("a wrong number of fields") {
    const auto p = write_file(d, "a.csv", "text,label\na, b,pos\n");
    const auto what = row_error_of([&] { (void)read_csv(p, m); });
    CHECK_THAT(what, StartsWith(located(p, 2)) &&
                         Contains("found 3 fields where the header has 2") &&
                         Contains("an unquoted ','"));
  }
  SECTION("an unknown label") {
    const auto p = write_file(d, "a.csv", "text,label\na,meh\n");
    CHECK_THAT(row_error_of([&] { (void)read_csv(p, m); }),
               Contains("unknown label 'meh' (field 'label')") && Contains("neg, pos"));
  }
  SECTION("a bad number") {
    const auto p = write_file(d, "a.csv", "text,label\na,1.5x\n");
    CHECK_THAT(row_error_of([&] {
                 (void)read_csv(p, {.text_a = "text", .label = "label", .regression = true});
               }),
               Contains("'1.5x' is not a number (field 'label')"));
  }
  SECTION("a column the header lacks, a duplicated column, a bad mapping") {
    const auto p = write_file(d, "a.csv", "text,label,text\na,pos,b\n");
    CHECK_THROWS_WITH(read_csv(p, {.text_a = "body"}),
                      StartsWith(located(p, 1)) && Contains("no column 'body'"));
    CHECK_THROWS_WITH(read_csv(p, m), Contains("column 'text' appears twice"));
    CHECK_THROWS_WITH(read_csv(p, {.text_a = ""}), Contains("text_a is empty"));
    CHECK_THROWS_WITH(
        read_csv(p, {.text_a = "x", .label = "label", .labels = {"a"}, .regression = true}),
        Contains("regression = true and labels"));
    CHECK_THROWS_WITH(read_csv(d / "missing.csv", m), Contains("no such file"));
  }
  SECTION("skip mode goes on after a bad record, even a multi-line one") {
    const auto p =
        write_file(d, "a.csv", "text,label\n\"a\nb\"c,pos\nok,neg\nbad,meh\n\"fine\",pos\n");
    read_report report;
    const auto rows = read_csv(p, m, {}, {.bad_rows = on_bad_row::skip}, &report);
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].text_a == "ok");
    CHECK(rows[0].line == 4);
    CHECK(rows[0].id == "1");
    CHECK(rows[1].text_a == "fine");
    CHECK(report.examples == 2);
    CHECK(report.skipped == 2);
    REQUIRE(report.problems.size() == 2);
    CHECK_THAT(report.problems[0], StartsWith(located(p, 2)));
    CHECK_THAT(report.problems[1], StartsWith(located(p, 5)));
  }
}

TEST_CASE("read_jsonl: labels by name, index, boolean or number", "[data][jsonl]") {
  scratch_dir d{"jsonl"};
  const auto p =
      write_file(d, "nli.jsonl",
                 R"({"p": "A man sleeps.", "h": "A person rests.", "y": "entailment", "uid": 17})"
                 "\n\n"
                 R"({"p": "A dog.", "h": "A cat.", "y": 2, "uid": "x-2"})"
                 "\n"
                 R"({"p": "Hi.", "h": "Hello.", "y": null, "uid": 3})"
                 "\n");
  const column_mapping m{.text_a = "p",
                         .text_b = "h",
                         .label = "y",
                         .labels = {"entailment", "neutral", "contradiction"},
                         .id = "uid"};
  const auto rows = read_jsonl(p, m);
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].label == 0);
  CHECK(rows[0].id == "17");
  CHECK(rows[0].text_b.value() == "A person rests.");
  CHECK(rows[1].label == 2);
  CHECK(rows[1].id == "x-2");
  CHECK(rows[1].line == 3);
  CHECK(rows[2].label == -1);

  const auto b = write_file(d, "b.jsonl",
                            R"({"t": "yes", "y": true, "s": 0.25})"
                            "\n"
                            R"({"t": "no", "y": false, "s": 4})"
                            "\n");
  const auto bools = read_jsonl(b, {.text_a = "t", .label = "y"});
  CHECK(bools.at(0).label == 1);
  CHECK(bools.at(1).label == 0);
  CHECK(bools.at(1).id == "1");
  const auto scores = read_jsonl(b, {.text_a = "t", .label = "s", .regression = true});
  CHECK(scores.at(0).score == 0.25);
  CHECK(scores.at(1).score == 4.0);

  SECTION("errors") {
    const auto e = write_file(d, "e.jsonl",
                              R"({"p": "A.", "h": "B.", "y": 3, "uid": 1})"
                              "\n");
    CHECK_THAT(row_error_of([&] { (void)read_jsonl(e, m); }),
               StartsWith(located(e, 1)) && Contains("label 3 (key 'y') is not a class index"));
    CHECK_THAT(row_error_of([&] { (void)read_jsonl(e, {.text_a = "p", .id = "key"}); }),
               Contains("missing key 'key'"));
    CHECK_THAT(row_error_of([&] { (void)read_jsonl(e, {.text_a = "y"}); }),
               Contains("key 'y' holds a number, expected a string"));
    CHECK_THAT(row_error_of(
                   [&] { (void)read_jsonl(e, {.text_a = "p", .label = "h", .regression = true}); }),
               Contains("'B.' is not a number"));
  }
}
