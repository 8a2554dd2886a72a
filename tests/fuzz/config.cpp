// Fuzzes the --config JSON file as app/config.h applies it (parse_config_json): every key,
// its value's parser (durations, byte counts, listen addresses, upstream objects and URLs).
#include "app/config.h"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace cairn::app;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Config config;
  std::string error;
  const bool ok = parse_config_json(text, config, error);
  if (ok != error.empty())
    std::abort();
  return 0;
}
