#include "metrics/storage_metrics.h"

#include "metrics/families.h"

#include <algorithm>
#include <limits>
#include <string>
#include <unordered_set>

namespace cairn::metrics {
namespace {

using prometheus::MetricType;

struct NamespaceFigures {
  std::string name;
  uint64_t blobs = 0;
  uint64_t bytes = 0;
};

}  // namespace

StorageMetrics::StorageMetrics(Storage& storage, std::chrono::milliseconds scan_interval,
                               size_t max_namespaces)
    : storage_(storage), scan_interval_(scan_interval), max_namespaces_(max_namespaces) {}

std::vector<prometheus::MetricFamily> StorageMetrics::Collect() const {
  std::lock_guard lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  if (!scanned_at_ || now - *scanned_at_ >= scan_interval_) {
    last_ = scan();
    scanned_at_ = now;
  }
  return last_;
}

// A namespace or walk that fails to read is left out of this scrape (the next one retries):
// a scrape answers with what it could read rather than failing whole.
std::vector<prometheus::MetricFamily> StorageMetrics::scan() const {
  std::vector<NamespaceFigures> spaces;
  std::unordered_set<std::string> distinct;
  uint64_t distinct_bytes = 0;
  auto names = storage_.namespaces().list();
  if (names) {
    for (const std::string& ns : names->names) {
      NamespaceFigures f{ns, 0, 0};
      (void)storage_.content().walk(
          metadata::Scope{ns, {}},
          [&](const content::Info& info) {
            ++f.blobs;
            f.bytes += static_cast<uint64_t>(std::max<int64_t>(info.size, 0));
            if (distinct.insert(info.digest.str()).second)
              distinct_bytes += static_cast<uint64_t>(std::max<int64_t>(info.size, 0));
            return true;
          },
          {});
      if (f.blobs > 0)
        spaces.push_back(std::move(f));
    }
  }
  std::sort(spaces.begin(), spaces.end(), [](const auto& a, const auto& b) {
    return a.bytes != b.bytes ? a.bytes > b.bytes : a.name < b.name;
  });

  auto ns_blobs = family("cairn_namespace_blobs",
                         "Blob records of a namespace (the largest namespaces; the rest under "
                         "namespace=\"(other)\").",
                         MetricType::Gauge);
  auto ns_bytes = family("cairn_namespace_bytes",
                         "Size of the blobs a namespace records (shared blobs count in each).",
                         MetricType::Gauge);
  NamespaceFigures other{"(other)", 0, 0};
  for (size_t i = 0; i < spaces.size(); ++i) {
    if (i < max_namespaces_) {
      add_sample(ns_blobs, static_cast<double>(spaces[i].blobs), {{"namespace", spaces[i].name}});
      add_sample(ns_bytes, static_cast<double>(spaces[i].bytes), {{"namespace", spaces[i].name}});
    } else {
      other.blobs += spaces[i].blobs;
      other.bytes += spaces[i].bytes;
    }
  }
  if (spaces.size() > max_namespaces_) {
    add_sample(ns_blobs, static_cast<double>(other.blobs), {{"namespace", other.name}});
    add_sample(ns_bytes, static_cast<double>(other.bytes), {{"namespace", other.name}});
  }

  std::vector<prometheus::MetricFamily> out;
  out.push_back(single("cairn_storage_blobs", "Distinct blobs recorded in any namespace.",
                       MetricType::Gauge, static_cast<double>(distinct.size())));
  out.push_back(single("cairn_storage_bytes", "Size of the distinct blobs recorded.",
                       MetricType::Gauge, static_cast<double>(distinct_bytes)));
  out.push_back(std::move(ns_blobs));
  out.push_back(std::move(ns_bytes));
  auto ingests = storage_.content().count_ingests({}, std::numeric_limits<size_t>::max());
  if (ingests) {
    out.push_back(single("cairn_uploads_in_progress",
                         "Ingest records: uploads in progress and cache fills.", MetricType::Gauge,
                         static_cast<double>(*ingests)));
  }
  const double unix_now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  out.push_back(single("cairn_storage_scan_timestamp_seconds",
                       "When the storage figures were read (Unix time).", MetricType::Gauge,
                       unix_now));
  return out;
}

}  // namespace cairn::metrics
