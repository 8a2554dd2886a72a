// Progress: how a long storage job (a collection, a usage walk) tells a command line how far it
// is. The job calls the callback from its own thread, as often as once per file: the receiver
// throttles what it draws (app/progress_bar.h).
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

namespace cairn {

struct Progress {
  // What the job is doing now, e.g. "listing" (blob files found), "removing" (bytes deleted).
  // The job's header says which phases it reports and their units.
  std::string_view phase;
  int64_t done = 0;
  int64_t total = -1;  // < 0: not known (a listing)
};

using ProgressFn = std::function<void(const Progress&)>;

}  // namespace cairn
