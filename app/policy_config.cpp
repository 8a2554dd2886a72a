#include "app/policy_config.h"

#include "app/config.h"
#include "storage/common/glob.h"

#include <nlohmann/json.hpp>

#include <cstdint>

namespace cairn::app {
namespace {

// "repositories": a non-empty array of globs. Returns an error message or "".
std::string globs_from_json(const nlohmann::json& j, std::string_view what,
                            std::vector<std::string>& out) {
  const std::string bad =
      std::string(what) + " \"repositories\" is a non-empty array of globs such as \"team/**\"";
  if (!j.is_array() || j.empty())
    return bad;
  for (const auto& g : j) {
    if (!g.is_string() || !valid_glob(g.get<std::string>()))
      return bad;
    out.push_back(g.get<std::string>());
  }
  return "";
}

std::string duration_from_json(const nlohmann::json& j, std::string_view key,
                               std::optional<std::chrono::nanoseconds>& out) {
  auto d = j.is_string() ? parse_duration(j.get<std::string>()) : std::nullopt;
  if (!d)
    return "retention \"" + std::string(key) + "\" wants a duration such as 720h";
  out = *d;
  return "";
}

}  // namespace

std::string retention_from_json(const nlohmann::json& j, gc::RetentionPolicy& out) {
  if (!j.is_array())
    return "\"retention\" is an array of {repositories, keep-newest, ...}";
  std::vector<gc::RetentionRule> rules;
  for (const auto& r : j) {
    if (!r.is_object())
      return "each of \"retention\" is an object with repositories";
    gc::RetentionRule rule;
    for (const auto& [key, value] : r.items()) {
      std::string err;
      if (key == "repositories") {
        err = globs_from_json(value, "retention", rule.repositories);
      } else if (key == "keep-newest") {
        if (!value.is_number_unsigned())
          err = "retention \"keep-newest\" is a count of tags";
        else
          rule.keep_newest = value.get<size_t>();
      } else if (key == "keep-within") {
        err = duration_from_json(value, key, rule.keep_within);
      } else if (key == "untagged-older-than") {
        err = duration_from_json(value, key, rule.untagged_older_than);
      } else if (key == "keep-tags") {
        if (!value.is_array())
          err = "retention \"keep-tags\" is an array of regular expressions";
        for (const auto& p : value) {
          if (!p.is_string()) {
            err = "retention \"keep-tags\" is an array of regular expressions";
            break;
          }
          rule.keep_tags.push_back(p.get<std::string>());
        }
      } else {
        err = "unknown retention key \"" + key + "\"";
      }
      if (!err.empty())
        return err;
    }
    if (rule.repositories.empty())
      return "each retention rule needs \"repositories\"";
    if (auto v = gc::validate(rule); !v)
      return "retention: " + v.error().detail;
    rules.push_back(std::move(rule));
  }
  out.rules = std::move(rules);
  return "";
}

std::string quotas_from_json(const nlohmann::json& j, QuotaPolicy& out) {
  if (!j.is_array())
    return "\"quotas\" is an array of {repositories, bytes}";
  std::vector<QuotaRule> rules;
  for (const auto& r : j) {
    if (!r.is_object())
      return "each of \"quotas\" is an object with repositories and bytes";
    QuotaRule rule;
    bool has_bytes = false;
    for (const auto& [key, value] : r.items()) {
      std::string err;
      if (key == "repositories") {
        err = globs_from_json(value, "quota", rule.repositories);
      } else if (key == "bytes") {
        std::optional<uint64_t> n;
        if (value.is_number_unsigned())
          n = value.get<uint64_t>();
        else if (value.is_string())
          n = parse_bytes(value.get<std::string>());
        if (!n || *n > static_cast<uint64_t>(INT64_MAX))
          err = "quota \"bytes\" wants a byte count such as 10GiB";
        else
          rule.bytes = static_cast<int64_t>(*n);
        has_bytes = true;
      } else {
        err = "unknown quota key \"" + key + "\"";
      }
      if (!err.empty())
        return err;
    }
    if (rule.repositories.empty() || !has_bytes)
      return "each quota needs \"repositories\" and \"bytes\"";
    rules.push_back(std::move(rule));
  }
  out.rules = std::move(rules);
  return "";
}

}  // namespace cairn::app
