#include "storage/common/units.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <iterator>
#include <map>

namespace cairn {

std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text) {
  constexpr std::chrono::hours kMax(24 * 365 * 100);
  size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])))
    ++i;
  if (i == 0)
    return std::nullopt;
  if (i < text.size() && text[i] == '.') {
    const size_t frac = ++i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])))
      ++i;
    if (i == frac)
      return std::nullopt;
  }
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + i, value, std::chars_format::fixed);
  if (ec != std::errc() || end != text.data() + i)
    return std::nullopt;
  static const std::map<std::string_view, double> kUnitNanos = {
      {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
  auto unit = kUnitNanos.find(text.substr(i));
  if (unit == kUnitNanos.end())
    return std::nullopt;
  const double ns = value * unit->second;
  if (!(ns <= static_cast<double>(std::chrono::nanoseconds(kMax).count())))
    return std::nullopt;
  return std::chrono::nanoseconds(static_cast<int64_t>(ns));
}

std::optional<uint64_t> parse_bytes(std::string_view text) {
  uint64_t n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || ptr == text.data())
    return std::nullopt;
  std::string unit(ptr, text.data() + text.size());
  for (auto& ch : unit)
    ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  static const std::map<std::string, int> kShift = {
      {"", 0},     {"B", 0},  {"K", 10},  {"KB", 10},  {"KIB", 10}, {"M", 20},  {"MB", 20},
      {"MIB", 20}, {"G", 30}, {"GB", 30}, {"GIB", 30}, {"T", 40},   {"TB", 40}, {"TIB", 40}};
  auto shift = kShift.find(unit);
  if (shift == kShift.end() || (shift->second > 0 && n > (UINT64_MAX >> shift->second)))
    return std::nullopt;
  return n << shift->second;
}

std::string format_bytes(int64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024)
    return std::to_string(std::max<int64_t>(bytes, 0)) + " B";
  double v = static_cast<double>(bytes);
  size_t unit = 0;
  while (v >= 1024 && unit + 1 < std::size(kUnits)) {
    v /= 1024;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", v, kUnits[unit]);
  return buf;
}

}  // namespace cairn
