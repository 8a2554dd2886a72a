// Quantities written as text, shared by every layer: byte counts and durations as flags, config
// files and request bodies spell them ("64M", "1.5s"), and byte counts as people read them.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cairn {

// Parses a byte count: digits with an optional unit K, M, G, T (powers of 1024; "KiB", "MiB",
// ... and "KB", "MB", ... are read the same way). nullopt when malformed or too large.
std::optional<uint64_t> parse_bytes(std::string_view text);

// Parses a duration "<digits>[.<digits>]<unit>", unit ms, s, m or h ("250ms", "1.5s", "0s"), of
// at most 100 years (so that now + it still fits a Timestamp). Returns nullopt otherwise: no
// sign, exponent, hex, "nan" or "inf".
std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text);

// "0 B", "512 B", "1.5 KiB", "3.2 GiB".
std::string format_bytes(int64_t bytes);

}  // namespace cairn
