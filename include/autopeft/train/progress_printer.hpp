#pragma once
// A progress_callback that draws a progress bar on a terminal: one line redrawn with '\r' when
// the stream is a TTY, otherwise (a log file, CI) a plain line every `interval_seconds` and at
// the end.
#include <autopeft/train/progress.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

namespace autopeft::train {

/// Example:
///   train::progress_printer bar("pretrain");
///   pretrainer.train(tokenizer, corpus, bar);   // copies share the state
class progress_printer {
 public:
  explicit progress_printer(std::string label, std::FILE* out = stderr, double interval_seconds = 30.0)
      : state_(std::make_shared<state>()) {
    state_->label = std::move(label);
    state_->out = out;
    state_->tty = ::isatty(::fileno(out)) == 1;
    state_->interval = interval_seconds;
  }

  void operator()(const progress& p) const {
    auto& s = *state_;
    const auto now = std::chrono::steady_clock::now();
    const bool last = p.step >= p.total_steps;
    if (p.metric) {  // evaluations always get their own line
      finish_bar();
      std::fprintf(s.out, "[%s] step %lld/%lld  %s %.4f\n", s.label.c_str(), static_cast<long long>(p.step),
                   static_cast<long long>(p.total_steps), p.phase == "eval" ? "dev metric" : "metric", *p.metric);
      std::fflush(s.out);
      return;
    }
    if (s.tty) {
      // Redraw at most ten times a second, and always the last step.
      if (!last && s.drawn && now - s.last < std::chrono::milliseconds(100)) return;
      std::fprintf(s.out, "\r%s\033[K", line(p, true).c_str());
      s.open_line = !last;
      if (last) std::fputc('\n', s.out);
    } else {
      const double since = std::chrono::duration<double>(now - s.last).count();
      if (!last && s.drawn && since < s.interval) return;
      std::fprintf(s.out, "%s\n", line(p, false).c_str());
    }
    std::fflush(s.out);
    s.drawn = true;
    s.last = now;
  }

  /// Ends an open bar line (call before printing anything else to the stream).
  void finish_bar() const {
    if (state_->open_line) {
      std::fputc('\n', state_->out);
      state_->open_line = false;
    }
  }

  /// "1h02m", "3m05s", "12s".
  [[nodiscard]] static std::string duration(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0) return "?";
    const auto t = static_cast<long long>(std::llround(seconds));
    char buf[32];
    if (t >= 3600) std::snprintf(buf, sizeof buf, "%lldh%02lldm", t / 3600, t % 3600 / 60);
    else if (t >= 60) std::snprintf(buf, sizeof buf, "%lldm%02llds", t / 60, t % 60);
    else std::snprintf(buf, sizeof buf, "%llds", t);
    return buf;
  }

 private:
  struct state {
    std::string label;
    std::FILE* out = stderr;
    bool tty = false;
    double interval = 30;
    bool drawn = false, open_line = false;
    std::chrono::steady_clock::time_point last{};
  };

  std::string line(const progress& p, bool bar) const {
    const double frac = p.total_steps > 0 ? std::clamp(static_cast<double>(p.step) / static_cast<double>(p.total_steps), 0.0, 1.0) : 0.0;
    std::string out = "[" + state_->label + "] ";
    if (bar) {
      constexpr int width = 24;
      const int filled = static_cast<int>(frac * width);
      out += "|" + std::string(static_cast<std::size_t>(filled), '#') + std::string(static_cast<std::size_t>(width - filled), '.') + "| ";
    }
    char buf[192];
    std::snprintf(buf, sizeof buf, "%lld/%lld (%3.0f%%)  loss %.4f  lr %.2e  %.1fk tok/s  %s elapsed  ETA %s",
                  static_cast<long long>(p.step), static_cast<long long>(p.total_steps), 100 * frac, p.loss,
                  p.learning_rate, p.tokens_per_second / 1000, duration(p.elapsed_seconds).c_str(),
                  duration(p.eta_seconds).c_str());
    return out + buf;
  }

  std::shared_ptr<state> state_;
};

}  // namespace autopeft::train
