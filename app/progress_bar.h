// ProgressBar: how a long command-line job (fsck, gc, du, export, import) shows its progress.
//
// On a terminal it redraws one line in place, at most ten times a second:
//   hashing [==========>          ]  52%  1.3 GiB / 2.5 GiB  412 MiB/s  ETA 0:03
// Elsewhere (a pipe, a log file) it writes a plain line each time another tenth is done, so a
// log holds at most eleven lines per job. finish() ends the bar with a newline.
// A total < 0 is unknown (a listing): the line is a count and a rate, without bar or ETA,
//   listing  120345 files  41234 files/s
// and off a terminal only finish() writes it.
//
// Not thread-safe: one job's thread updates it. Time is read from `now` (the steady clock by
// default), so tests render it without sleeping.
#pragma once

#include "storage/common/progress.h"
#include "storage/common/units.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>

namespace cairn::app {

// "0:07", "12:34", "3:02:01".
std::string format_eta(std::chrono::seconds s);

class ProgressBar {
 public:
  using Now = std::function<std::chrono::steady_clock::time_point()>;

  // Writes to `out`; `tty` chooses the redrawn bar; `label` leads each line; `width` is the
  // bar's width in characters.
  ProgressBar(std::ostream& out, bool tty, std::string label, Now now = {}, int width = 24);

  // Counts `noun`s ("files") instead of bytes from now on.
  void count(std::string noun) { noun_ = std::move(noun); }

  // Reports `done` of `total` units (bytes, or count()'s nouns; total < 0: unknown). Draws when
  // it is time to (see above).
  void update(int64_t done, int64_t total);
  // Draws the last state and ends the line. Idempotent.
  void finish();

  // The text of one line for `done` of `total` after `elapsed` (no carriage return).
  std::string render(int64_t done, int64_t total, std::chrono::nanoseconds elapsed) const;

 private:
  void draw(bool force);

  std::ostream& out_;
  bool tty_;
  std::string label_;
  Now now_;
  int width_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_{};
  int64_t done_ = 0;
  int64_t total_ = 0;
  int last_tenth_ = -1;
  bool drawn_ = false;
  bool finished_ = false;
  std::string noun_;  // empty: bytes
};

// PhasedProgress: draws a storage job's progress (storage/common/progress.h), one ProgressBar
// per phase, labelled "<prefix> <phase>": a phase with an unknown total counts files, the others
// bytes. A new phase finishes the bar of the one before.
class PhasedProgress {
 public:
  PhasedProgress(std::ostream& out, bool tty, std::string prefix)
      : out_(out), tty_(tty), prefix_(std::move(prefix)) {}

  void operator()(const Progress& p);
  // Finishes the current bar, if any. Idempotent.
  void finish();

 private:
  std::ostream& out_;
  bool tty_;
  std::string prefix_;
  std::string phase_;
  std::unique_ptr<ProgressBar> bar_;
};

}  // namespace cairn::app
