#include <autopeft/data/metrics.hpp>

#include <autopeft/data/glue_task.hpp>
#include <autopeft/data/superglue_task.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

namespace {

using namespace autopeft::data;
using Catch::Contains;
using ints = std::vector<std::int64_t>;
using reals = std::vector<double>;

}  // namespace

TEST_CASE("accuracy", "[data][metrics]") {
  // Positions 0 and 2 agree: 2 / 4.
  CHECK(accuracy(ints{1, 0, 1, 1}, ints{1, 1, 1, 0}) == Approx(0.5));
  CHECK(accuracy(ints{2, 0, 1}, ints{2, 0, 1}) == 1.0);
  CHECK(accuracy(ints{0}, ints{1}) == 0.0);
}

TEST_CASE("f1: binary, with class 1 positive", "[data][metrics]") {
  // p = 1 1 0 0 1, y = 1 0 1 0 1: TP = 2 (positions 0, 4), FP = 1 (1), FN = 1 (2), TN = 1 (3).
  // F1 = 2 TP / (2 TP + FP + FN) = 4 / 6.
  CHECK(f1(ints{1, 1, 0, 0, 1}, ints{1, 0, 1, 0, 1}) == Approx(2.0 / 3.0));
  // Precision 1/1, recall 1/3: F1 = 2 (1)(1/3) / (1 + 1/3) = 0.5 = 2 / (2 + 0 + 2).
  CHECK(f1(ints{1, 0, 0, 0}, ints{1, 1, 1, 0}) == Approx(0.5));
  // No positive anywhere: TP = FP = FN = 0, defined as 0 (scikit-learn's zero_division).
  CHECK(f1(ints{0, 0, 0}, ints{0, 0, 0}) == 0.0);
  // Only negatives are right: TP = 0 gives 0 although accuracy is 2/3.
  CHECK(f1(ints{0, 0, 1}, ints{0, 0, 0}) == 0.0);
  CHECK_THROWS_WITH(f1(ints{0, 2}, ints{0, 1}),
                    Contains("predictions[1] is 2") && Contains("f1_average::macro"));
}

TEST_CASE("f1: macro-averaged over the classes present", "[data][metrics]") {
  // y = 0 0 1 1 2 2, p = 0 1 1 1 2 0.
  //   class 0: TP 1 (pos 0), FP 1 (pos 5), FN 1 (pos 1): 2 / (2 + 1 + 1) = 0.5
  //   class 1: TP 2 (pos 2, 3), FP 1 (pos 1), FN 0:      4 / (4 + 1)     = 0.8
  //   class 2: TP 1 (pos 4), FP 0, FN 1 (pos 5):         2 / (2 + 1)     = 2/3
  //   mean = (0.5 + 0.8 + 2/3) / 3 = 0.655555...
  const ints y{0, 0, 1, 1, 2, 2}, p{0, 1, 1, 1, 2, 0};
  CHECK(f1(p, y, f1_average::macro) == Approx((0.5 + 0.8 + 2.0 / 3.0) / 3.0));
  // A class only predicted counts too: classes {0, 1}; class 0: TP 1, FN 1: 2/3; class 1:
  // TP 0, FP 1: 0. Mean 1/3.
  CHECK(f1(ints{0, 1}, ints{0, 0}, f1_average::macro) == Approx(1.0 / 3.0));
  // Law: on two classes, macro-F1 is the mean of the binary F1 of each class taken positive.
  const ints yb{1, 0, 1, 0, 1}, pb{1, 1, 0, 0, 1};
  const ints yb_flip{0, 1, 0, 1, 0}, pb_flip{0, 0, 1, 1, 0};
  CHECK(f1(pb, yb, f1_average::macro) == Approx((f1(pb, yb) + f1(pb_flip, yb_flip)) / 2.0));
}

TEST_CASE("matthews: binary", "[data][metrics]") {
  // y = 1 1 1 1 1 0 0 0, p = 1 1 1 0 0 0 0 1: TP 3, FN 2, TN 2, FP 1.
  // MCC = (TP TN - FP FN) / sqrt((TP+FP)(TP+FN)(TN+FP)(TN+FN)) = (6 - 2) / sqrt(4 5 3 4)
  //     = 4 / sqrt(240) = 0.2581988...
  const ints y{1, 1, 1, 1, 1, 0, 0, 0}, p{1, 1, 1, 0, 0, 0, 0, 1};
  CHECK(matthews(p, y) == Approx(4.0 / std::sqrt(240.0)));
  CHECK(matthews(y, y) == Approx(1.0));
  CHECK(matthews(ints{0, 1, 0, 1}, ints{1, 0, 1, 0}) == Approx(-1.0));
  // Laws: symmetric in its arguments; unchanged when the classes are renamed.
  CHECK(matthews(y, p) == Approx(matthews(p, y)));
  CHECK(matthews(ints{7, 7, 7, 3, 3, 3, 3, 7}, ints{7, 7, 7, 7, 7, 3, 3, 3}) ==
        Approx(matthews(p, y)));
}

TEST_CASE("matthews: a zero denominator gives 0, as scikit-learn", "[data][metrics]") {
  // All predictions one class: sum_k p_k^2 = n^2, so the denominator is 0.
  CHECK(matthews(ints{1, 1, 1, 1}, ints{1, 0, 1, 0}) == 0.0);
  // All references one class.
  CHECK(matthews(ints{1, 0, 1, 0}, ints{0, 0, 0, 0}) == 0.0);
  // Both: a perfect but degenerate prediction.
  CHECK(matthews(ints{2, 2}, ints{2, 2}) == 0.0);
}

TEST_CASE("matthews: multi-class (Gorodkin's R_K)", "[data][metrics]") {
  // y = 0 0 1 1 2 2, p = 0 1 1 1 2 0; n = 6, correct c = 1 + 2 + 1 = 4.
  // Reference counts t = (2, 2, 2), prediction counts p = (2, 3, 1).
  //   numerator        c n - sum p_k t_k = 24 - (4 + 6 + 2)  = 12
  //   n^2 - sum p_k^2 = 36 - (4 + 9 + 1) = 22
  //   n^2 - sum t_k^2 = 36 - (4 + 4 + 4) = 24
  //   MCC = 12 / sqrt(22 * 24) = 12 / sqrt(528) = 0.522232...
  const ints y{0, 0, 1, 1, 2, 2}, p{0, 1, 1, 1, 2, 0};
  CHECK(matthews(p, y) == Approx(12.0 / std::sqrt(528.0)));
  // y = 0 1 2, p = 1 2 0 (every prediction wrong, cyclically): c = 0, p = t = (1, 1, 1):
  //   (0 * 3 - 3) / sqrt((9 - 3)(9 - 3)) = -3 / 6 = -0.5.
  CHECK(matthews(ints{1, 2, 0}, ints{0, 1, 2}) == Approx(-0.5));
  CHECK(matthews(y, y) == Approx(1.0));
}

TEST_CASE("pearson", "[data][metrics]") {
  // x = 1..5, y = 2 4 5 4 5: means 3 and 4; dx = -2 -1 0 1 2, dy = -2 0 1 0 1.
  // sum dx dy = 4 + 0 + 0 + 0 + 2 = 6, sum dx^2 = 10, sum dy^2 = 6: r = 6 / sqrt(60) = 0.774597
  const reals x{1, 2, 3, 4, 5}, y{2, 4, 5, 4, 5};
  CHECK(pearson(x, y) == Approx(6.0 / std::sqrt(60.0)));
  // Laws: symmetric; unchanged by a positive affine map; negated by a negative one.
  CHECK(pearson(y, x) == Approx(pearson(x, y)));
  CHECK(pearson(reals{-7, -5, -3, -1, 1}, y) == Approx(pearson(x, y)));  // 2x - 9
  CHECK(pearson(reals{-1, -2, -3, -4, -5}, y) == Approx(-pearson(x, y)));
  CHECK(pearson(reals{1, 2, 3}, reals{10, 20, 30}) == Approx(1.0));
  // Undefined for a constant input (including one whose rounded mean is inexact) or a NaN.
  CHECK(std::isnan(pearson(reals{0.1, 0.1, 0.1}, reals{1, 2, 3})));
  CHECK(std::isnan(pearson(reals{1, 2, 3}, reals{4, 4, 4})));
  CHECK(std::isnan(pearson(reals{1, NAN, 3}, reals{1, 2, 3})));
  CHECK(std::isnan(pearson(reals{1}, reals{2})));
}

TEST_CASE("spearman: ties share their mean rank", "[data][metrics]") {
  CHECK(spearman_fn::average_ranks(reals{7, 3, 3, 9}) == reals{3, 1.5, 1.5, 4});
  CHECK(spearman_fn::average_ranks(reals{5, 5, 5}) == reals{2, 2, 2});
  // x = 1..5 ranks 1..5; y = 2 4 5 4 5 ranks 1, 2.5, 4.5, 2.5, 4.5 (4s share ranks 2 and 3,
  // 5s share 4 and 5). Both rank vectors have mean 3: dx = -2 -1 0 1 2,
  // dy = -2 -0.5 1.5 -0.5 1.5. sum dx dy = 4 + 0.5 + 0 - 0.5 + 3 = 7; sum dx^2 = 10;
  // sum dy^2 = 4 + 0.25 + 2.25 + 0.25 + 2.25 = 9. rho = 7 / sqrt(90) = 0.737865
  const reals x{1, 2, 3, 4, 5}, y{2, 4, 5, 4, 5};
  CHECK(spearman(x, y) == Approx(7.0 / std::sqrt(90.0)));
  // Law: unchanged by any increasing map of either input.
  CHECK(spearman(reals{1, 8, 27, 64, 125}, reals{std::exp(2.0), std::exp(4.0), std::exp(5.0),
                                                 std::exp(4.0), std::exp(5.0)}) ==
        Approx(spearman(x, y)));
  CHECK(spearman(reals{1, 2, 3}, reals{1, 8, 27}) == Approx(1.0));
  CHECK(spearman(reals{1, 2, 3}, reals{3, 2, 1}) == Approx(-1.0));
  CHECK(std::isnan(spearman(reals{1, 2, 3}, reals{2, 2, 2})));
  CHECK(std::isnan(spearman(reals{1, NAN, 3}, reals{1, 2, 3})));
}

TEST_CASE("metrics reject inputs they cannot score", "[data][metrics][errors]") {
  CHECK_THROWS_WITH(accuracy(ints{1, 0}, ints{1}), Contains("2 predictions but 1 references"));
  CHECK_THROWS_WITH(matthews(ints{}, ints{}), Contains("no predictions"));
  CHECK_THROWS_WITH(f1(ints{1, 0}, ints{1, -1}),
                    Contains("references[1] is -1") && Contains("unlabelled"));
  CHECK_THROWS_WITH(pearson(reals{1, 2}, reals{1, 2, 3}), Contains("pearson"));
  CHECK_THROWS_WITH(spearman(reals{}, reals{}), Contains("spearman: no predictions"));
}

TEST_CASE("evaluate dispatches on metric_kind and task_info", "[data][metrics]") {
  const ints y{1, 1, 1, 1, 1, 0, 0, 0}, p{1, 1, 1, 0, 0, 0, 0, 1};
  CHECK(evaluate(metric_kind::accuracy, p, y) == accuracy(p, y));
  CHECK(evaluate(metric_kind::f1, p, y) == f1(p, y));
  CHECK(evaluate(metric_kind::matthews, p, y) == matthews(p, y));
  CHECK(evaluate(metric_kind::pearson, p, y) ==
        Approx(pearson(reals(p.begin(), p.end()), reals(y.begin(), y.end()))));
  CHECK(evaluate(glue_info(glue_task::cola), p, y) == matthews(p, y));
  CHECK(evaluate(glue_info(glue_task::mrpc), p, y) == f1(p, y));
  CHECK(evaluate(glue_info(glue_task::mrpc), p, y, metric_kind::accuracy) == accuracy(p, y));

  // CB's F1 is macro-averaged because the task has three classes.
  const ints y3{0, 0, 1, 1, 2, 2}, p3{0, 1, 1, 1, 2, 0};
  CHECK(evaluate(superglue_info(superglue_task::cb), p3, y3) ==
        Approx(f1(p3, y3, f1_average::macro)));

  const reals gold{1, 2, 3, 4, 5}, pred{2, 4, 5, 4, 5};
  CHECK(evaluate(glue_info(glue_task::stsb), pred, gold) == Approx(7.0 / std::sqrt(90.0)));
  CHECK(evaluate(glue_info(glue_task::stsb), pred, gold, metric_kind::pearson) ==
        Approx(6.0 / std::sqrt(60.0)));
  CHECK_THROWS_WITH(evaluate(metric_kind::accuracy, pred, gold),
                    Contains("accuracy compares class indices") && Contains("std::int64_t"));
}
