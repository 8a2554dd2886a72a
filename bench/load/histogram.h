#pragma once

// LatencyHistogram: log-linear latency buckets in microseconds, HdrHistogram-style.
//
// Values below 2048 µs are counted exactly; above, each power-of-two range is split into 1024
// equal buckets, so a reported value is within 0.1 % of the recorded one. Values beyond
// kMaxMicros (about 9.5 hours) are clamped. Recording is one shift, one add and a counter
// increment; one histogram per I/O thread, merged at the end.
//
// Not thread-safe.

#include <cstdint>
#include <vector>

namespace cairn::load {

class LatencyHistogram {
 public:
  static constexpr std::uint64_t kMaxMicros = (std::uint64_t{1} << 35) - 1;

  LatencyHistogram();

  void record(std::uint64_t micros);
  // Adds every count of `other` into this one.
  void merge(const LatencyHistogram& other);

  std::uint64_t count() const { return count_; }
  // The smallest recorded value v such that at least `fraction` (0..1] of the values are <= v,
  // reported as the highest value its bucket holds; 0 when empty.
  std::uint64_t percentile(double fraction) const;
  std::uint64_t max() const { return max_; }
  std::uint64_t min() const { return count_ == 0 ? 0 : min_; }
  double mean() const { return count_ == 0 ? 0.0 : static_cast<double>(sum_) / count_; }

  // Bucket mapping, exposed for tests: index of a value, and the highest value of an index.
  static std::size_t index_of(std::uint64_t micros);
  static std::uint64_t highest_value_of(std::size_t index);

 private:
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t max_ = 0;
};

}  // namespace cairn::load
