// The config file's policy keys: "retention", "retention-dry-run" and "quotas" (README
// "Retention" and "Quotas"). They are arrays of objects, so only the JSON file sets them:
//
//   "retention": [{"repositories": ["ret/**"], "keep-newest": 2, "keep-within": "720h",
//                  "keep-tags": ["v[0-9]+"], "untagged-older-than": "24h"}],
//   "retention-dry-run": false,
//   "quotas": [{"repositories": ["q/**"], "bytes": "1GiB"}]
//
// Globs are the access policy's (storage/common/glob.h); durations and byte counts are read as
// the flags read them (parse_duration, parse_bytes). Unknown keys, wrong types, bad globs and
// bad patterns are errors.
#pragma once

#include "storage/gc/retention.h"
#include "storage/quota.h"

#include <nlohmann/json_fwd.hpp>

#include <string>

namespace cairn::app {

// Parses the value of "retention" into `out`. Returns an error message or "". Pure.
std::string retention_from_json(const nlohmann::json& j, gc::RetentionPolicy& out);

// Parses the value of "quotas" into `out`. Returns an error message or "". Pure.
std::string quotas_from_json(const nlohmann::json& j, QuotaPolicy& out);

}  // namespace cairn::app
