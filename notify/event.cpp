#include "notify/event.h"

#include <openssl/rand.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <ctime>

namespace cairn::notify {

std::string_view action_name(Action action) noexcept {
  switch (action) {
    case Action::push:
      return "push";
    case Action::pull:
      return "pull";
    case Action::remove:
      return "delete";
  }
  return "push";
}

std::optional<Action> parse_action(std::string_view name) noexcept {
  for (Action a : {Action::push, Action::pull, Action::remove}) {
    if (action_name(a) == name)
      return a;
  }
  return std::nullopt;
}

std::string new_event_id() {
  unsigned char raw[16];
  if (RAND_bytes(raw, sizeof raw) != 1) {
    // No entropy from OpenSSL (never seen in practice): a clock-based id is still unique enough
    // for a receiver to tell events apart.
    auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    for (size_t i = 0; i < sizeof raw; ++i)
      raw[i] = static_cast<unsigned char>(now >> ((i % 8) * 8));
  }
  raw[6] = static_cast<unsigned char>((raw[6] & 0x0F) | 0x40);  // version 4
  raw[8] = static_cast<unsigned char>((raw[8] & 0x3F) | 0x80);  // RFC 4122 variant
  char buf[37];
  std::snprintf(buf, sizeof buf,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", raw[0],
                raw[1], raw[2], raw[3], raw[4], raw[5], raw[6], raw[7], raw[8], raw[9], raw[10],
                raw[11], raw[12], raw[13], raw[14], raw[15]);
  return buf;
}

namespace {

// RFC 3339 in UTC with nanoseconds, as Go's time.Time marshals ("2006-01-02T15:04:05.999999999Z").
std::string rfc3339(std::chrono::system_clock::time_point t) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ns / 1'000'000'000);
  long frac = static_cast<long>(ns % 1'000'000'000);
  if (frac < 0) {
    frac += 1'000'000'000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
  return buf;
}

void put(nlohmann::json& j, const char* key, const std::string& value) {
  if (!value.empty())
    j[key] = value;
}

}  // namespace

std::string event_json(const Event& e, const Source& source) {
  nlohmann::json j = nlohmann::json::object();
  j["id"] = e.id;
  j["timestamp"] = rfc3339(e.timestamp);
  j["action"] = std::string(action_name(e.action));
  nlohmann::json target = nlohmann::json::object();
  put(target, "mediaType", e.target.media_type);
  put(target, "digest", e.target.digest);
  if (e.target.size) {
    target["size"] = *e.target.size;
    target["length"] = *e.target.size;
  }
  put(target, "repository", e.target.repository);
  put(target, "url", e.target.url);
  put(target, "tag", e.target.tag);
  j["target"] = std::move(target);
  nlohmann::json request = nlohmann::json::object();
  put(request, "id", e.request.id);
  put(request, "addr", e.request.addr);
  put(request, "host", e.request.host);
  put(request, "method", e.request.method);
  put(request, "useragent", e.request.useragent);
  j["request"] = std::move(request);
  nlohmann::json actor = nlohmann::json::object();
  put(actor, "name", e.actor);
  j["actor"] = std::move(actor);
  nlohmann::json src = nlohmann::json::object();
  put(src, "addr", source.addr);
  put(src, "instanceID", source.instance_id);
  j["source"] = std::move(src);
  // Request headers (user agent, host) are the client's bytes: replace what is not UTF-8
  // rather than throw.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string envelope(std::span<const std::string> events) {
  std::string out = "{\"events\":[";
  for (size_t i = 0; i < events.size(); ++i) {
    if (i > 0)
      out += ',';
    out += events[i];
  }
  out += "]}";
  return out;
}

}  // namespace cairn::notify
