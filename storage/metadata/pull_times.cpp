#include "storage/metadata/pull_times.h"

#include "storage/metadata/keys.h"

#include <charconv>

namespace cairn::metadata {

std::string PullTimes::encode(Timestamp t) {
  return std::to_string(to_unix_nanos(t));
}

std::optional<Timestamp> PullTimes::decode(std::string_view value) {
  int64_t n = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc() || end != value.data() + value.size() || value.empty())
    return std::nullopt;
  return from_unix_nanos(n);
}

bool PullTimes::due(std::string_view ns, std::string_view tag) {
  std::string key = keys::pulled(ns, tag);
  const Timestamp now = db_.clock().now();
  std::lock_guard lock(mutex_);
  auto it = written_.find(key);
  return it == written_.end() || now - it->second >= resolution_;
}

Result<void> PullTimes::record(std::string_view ns, std::string_view tag) {
  std::string key = keys::pulled(ns, tag);
  const Timestamp now = db_.clock().now();
  {
    std::lock_guard lock(mutex_);
    auto it = written_.find(key);
    if (it != written_.end() && now - it->second < resolution_)
      return {};
    if (written_.size() >= kMaxRemembered)
      written_.clear();
    written_[key] = now;  // claimed before the write, so concurrent pulls write once
  }
  auto update = db_.begin({key});
  update.put(key, encode(now));
  update.defer_sync();
  auto committed = update.commit();
  if (!committed) {
    std::lock_guard lock(mutex_);
    written_.erase(key);  // the next pull tries again
  }
  return committed;
}

Result<std::map<std::string, Timestamp, std::less<>>> PullTimes::list(std::string_view ns) const {
  const std::string prefix = keys::pulled_prefix(ns);
  std::map<std::string, Timestamp, std::less<>> out;
  bool corrupt = false;
  auto r = db_.scan(prefix, {}, [&](std::string_view k, std::string_view v) {
    auto t = decode(v);
    if (!t) {
      corrupt = true;
      return false;
    }
    out.emplace(std::string(k.substr(prefix.size())), *t);
    return true;
  });
  if (!r)
    return r.error();
  if (corrupt)
    return fail(Errc::internal, "corrupt pulled record in " + std::string(ns));
  return out;
}

}  // namespace cairn::metadata
