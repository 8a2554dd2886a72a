#include "app/progress_bar.h"

#include <algorithm>
#include <cstdio>

namespace cairn::app {

std::string format_eta(std::chrono::seconds s) {
  const int64_t total = std::max<int64_t>(s.count(), 0);
  const int64_t h = total / 3600, m = total / 60 % 60, sec = total % 60;
  char buf[32];
  if (h > 0)
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", static_cast<long long>(h),
                  static_cast<long long>(m), static_cast<long long>(sec));
  else
    std::snprintf(buf, sizeof buf, "%lld:%02lld", static_cast<long long>(m),
                  static_cast<long long>(sec));
  return buf;
}

ProgressBar::ProgressBar(std::ostream& out, bool tty, std::string label, Now now, int width)
    : out_(out),
      tty_(tty),
      label_(std::move(label)),
      now_(now ? std::move(now) : Now([] { return std::chrono::steady_clock::now(); })),
      width_(std::max(width, 4)) {
  start_ = now_();
}

std::string ProgressBar::render(int64_t done, int64_t total,
                                std::chrono::nanoseconds elapsed) const {
  const double secs = std::chrono::duration<double>(elapsed).count();
  const auto amount = [&](int64_t n) {
    return noun_.empty() ? format_bytes(n) : std::to_string(n) + " " + noun_;
  };
  if (total < 0) {
    std::string line = label_ + "  " + amount(done);
    if (secs > 0 && done > 0)
      line += "  " + amount(static_cast<int64_t>(static_cast<double>(done) / secs)) + "/s";
    return line;
  }
  const double frac =
      total > 0 ? std::clamp(static_cast<double>(done) / static_cast<double>(total), 0.0, 1.0)
                : 1.0;
  std::string line = label_ + " [";
  const int filled = static_cast<int>(frac * width_);
  for (int i = 0; i < width_; ++i)
    line += i < filled ? '=' : (i == filled ? '>' : ' ');
  if (filled >= width_)
    line.back() = '=';
  char pct[8];
  std::snprintf(pct, sizeof pct, "%3d%%", static_cast<int>(frac * 100));
  line += "] ";
  line += pct;
  line += "  " + amount(done) + " / " + amount(total);
  if (secs > 0 && done > 0) {
    const double rate = static_cast<double>(done) / secs;
    line += "  " + amount(static_cast<int64_t>(rate)) + "/s";
    if (total > done)
      line += "  ETA " + format_eta(std::chrono::seconds(
                             static_cast<int64_t>(static_cast<double>(total - done) / rate)));
  }
  return line;
}

void ProgressBar::update(int64_t done, int64_t total) {
  done_ = done;
  total_ = total;
  draw(false);
}

void ProgressBar::finish() {
  if (finished_)
    return;
  draw(true);
  if (tty_)
    out_ << '\n';
  out_.flush();
  finished_ = true;
}

void ProgressBar::draw(bool force) {
  const auto now = now_();
  if (tty_) {
    if (!force && drawn_ && now - last_draw_ < std::chrono::milliseconds(100))
      return;
    out_ << '\r' << render(done_, total_, now - start_) << "\x1b[K";
    out_.flush();
  } else {
    if (total_ < 0 && !force)
      return;  // a count without a total: one line, at the end
    const int tenth =
        total_ > 0 ? static_cast<int>(std::min<int64_t>(done_ * 10 / total_, 10)) : 10;
    if (!force && tenth == last_tenth_)
      return;
    if (force && tenth == last_tenth_ && drawn_)
      return;  // the last line already says it
    last_tenth_ = tenth;
    out_ << render(done_, total_, now - start_) << '\n';
  }
  last_draw_ = now;
  drawn_ = true;
}

void PhasedProgress::operator()(const Progress& p) {
  if (!bar_ || p.phase != phase_) {
    finish();
    phase_ = p.phase;
    bar_ = std::make_unique<ProgressBar>(out_, tty_, prefix_ + " " + phase_);
    if (p.total < 0)
      bar_->count("files");
  }
  bar_->update(p.done, p.total);
}

void PhasedProgress::finish() {
  if (bar_)
    bar_->finish();
}

}  // namespace cairn::app
