#include "bench/load/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace cairn::load {
namespace {

constexpr int kSubBits = 10;                                     // 1024 buckets per power of two
constexpr std::uint64_t kLinear = std::uint64_t{2} << kSubBits;  // exact below 2048
constexpr std::uint64_t kSub = std::uint64_t{1} << kSubBits;

}  // namespace

std::size_t LatencyHistogram::index_of(std::uint64_t v) {
  v = std::min(v, kMaxMicros);
  if (v < kLinear)
    return static_cast<std::size_t>(v);
  // v in [2^msb, 2^(msb+1)), msb >= kSubBits + 1; keep the top kSubBits + 1 bits.
  int shift = std::bit_width(v) - 1 - kSubBits;
  std::uint64_t top = v >> shift;  // in [kSub, 2 * kSub)
  return static_cast<std::size_t>(kLinear + (shift - 1) * kSub + (top - kSub));
}

std::uint64_t LatencyHistogram::highest_value_of(std::size_t index) {
  if (index < kLinear)
    return index;
  std::uint64_t rel = index - kLinear;
  int shift = static_cast<int>(rel / kSub) + 1;
  std::uint64_t top = kSub + rel % kSub;
  return ((top + 1) << shift) - 1;
}

LatencyHistogram::LatencyHistogram() : counts_(index_of(kMaxMicros) + 1, 0) {}

void LatencyHistogram::record(std::uint64_t micros) {
  ++counts_[index_of(micros)];
  ++count_;
  sum_ += micros;
  min_ = std::min(min_, micros);
  max_ = std::max(max_, micros);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (std::size_t i = 0; i < counts_.size(); ++i)
    counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

std::uint64_t LatencyHistogram::percentile(double fraction) const {
  if (count_ == 0)
    return 0;
  fraction = std::clamp(fraction, 0.0, 1.0);
  auto target = static_cast<std::uint64_t>(std::ceil(fraction * static_cast<double>(count_)));
  target = std::clamp<std::uint64_t>(target, 1, count_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= target)
      return std::min(highest_value_of(i), max_);
  }
  return max_;
}

}  // namespace cairn::load
