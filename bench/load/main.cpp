// cairn-load: a keep-alive HTTP/1.1 load generator that prints one JSON object.
//
// Exit status: 0 after a run (whatever the errors; read the JSON), 1 when the run could not be
// made or no request completed while every attempt failed, 2 on bad usage.

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "bench/load/load_runner.h"
#include "bench/load/options.h"

namespace {

using cairn::load::LoadStats;

std::string json_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char hex[8];
          std::snprintf(hex, sizeof hex, "\\u%04x", c);
          out += hex;
        } else {
          out += c;
        }
    }
  }
  return out;
}

double ms(std::uint64_t micros) {
  return static_cast<double>(micros) / 1000.0;
}

void print_json(const LoadStats& s, const cairn::load::Options& o) {
  const auto& h = s.latency;
  const double rps = s.elapsed_s > 0 ? static_cast<double>(s.requests) / s.elapsed_s : 0.0;
  std::printf("{\"rps\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,", rps,
              ms(h.percentile(0.50)), ms(h.percentile(0.99)), ms(h.percentile(0.999)));
  std::printf("\"errors\":%llu,\"non2xx\":%llu,\"requests\":%llu,",
              static_cast<unsigned long long>(s.errors()),
              static_cast<unsigned long long>(s.non2xx),
              static_cast<unsigned long long>(s.requests));
  std::printf("\"p90_ms\":%.3f,\"mean_ms\":%.3f,\"max_ms\":%.3f,", ms(h.percentile(0.90)),
              h.mean() / 1000.0, ms(h.max()));
  std::printf("\"elapsed_s\":%.3f,\"connections\":%d,\"threads\":%d,\"method\":\"%s\",",
              s.elapsed_s, o.connections, o.threads, json_escape(o.method).c_str());
  std::printf("\"bytes_read\":%llu,\"body_bytes\":%llu,\"read_MBps\":%.1f,",
              static_cast<unsigned long long>(s.bytes_read),
              static_cast<unsigned long long>(s.body_bytes),
              s.elapsed_s > 0 ? static_cast<double>(s.bytes_read) / s.elapsed_s / 1e6 : 0.0);
  std::printf(
      "\"error_kinds\":{\"connect\":%llu,\"read\":%llu,\"write\":%llu,\"parse\":%llu,"
      "\"timeout\":%llu},\"reconnects\":%llu,",
      static_cast<unsigned long long>(s.connect_errors),
      static_cast<unsigned long long>(s.read_errors),
      static_cast<unsigned long long>(s.write_errors),
      static_cast<unsigned long long>(s.parse_errors), static_cast<unsigned long long>(s.timeouts),
      static_cast<unsigned long long>(s.reconnects));
  std::printf("\"status\":{");
  bool first = true;
  for (std::size_t code = 0; code < s.status_counts.size(); ++code) {
    if (s.status_counts[code] == 0)
      continue;
    std::printf("%s\"%zu\":%llu", first ? "" : ",", code,
                static_cast<unsigned long long>(s.status_counts[code]));
    first = false;
  }
  std::printf("},\"first_error\":\"%s\"}\n", json_escape(s.first_error).c_str());
}

}  // namespace

int main(int argc, char** argv) {
  std::string error;
  bool want_help = false;
  auto options = cairn::load::parse_options(argc, argv, error, want_help);
  if (want_help) {
    std::cout << cairn::load::usage();
    return 0;
  }
  if (!options) {
    std::cerr << "cairn-load: " << error << "\n\n" << cairn::load::usage();
    return 2;
  }

  std::string body;
  if (!options->body_file.empty()) {
    std::ifstream in(options->body_file, std::ios::binary);
    if (!in) {
      std::cerr << "cairn-load: cannot read --body-file " << options->body_file << "\n";
      return 2;
    }
    std::ostringstream content;
    content << in.rdbuf();
    body = std::move(content).str();
  }
  const cairn::load::RequestTemplate request = cairn::load::build_request(*options, body);

  LoadStats stats;
  if (!cairn::load::run_load(*options, request, stats, error)) {
    std::cerr << "cairn-load: " << error << "\n";
    return 1;
  }
  print_json(stats, *options);
  if (!stats.first_error.empty())
    std::cerr << "cairn-load: first error: " << stats.first_error << "\n";
  return stats.requests == 0 && stats.errors() > 0 ? 1 : 0;
}
