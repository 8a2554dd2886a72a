#include "app/du_command.h"

#include "app/command_line.h"
#include "app/config.h"
#include "app/progress_bar.h"
#include "handlers/du.h"
#include "storage/usage.h"

#include <algorithm>
#include <cstdio>
#include <ostream>

namespace cairn::app {
namespace {

// The first component of the cache namespaces of upstream `host` (proxy/cache.h: ':' → '_').
std::string cache_prefix(std::string host) {
  std::replace(host.begin(), host.end(), ':', '_');
  return host + "/";
}

std::string row(std::string_view name, std::string_view kind, std::string_view blobs,
                std::string_view bytes, std::string_view unique, std::string_view shared,
                std::string_view manifests, std::string_view tags, std::string_view uploads) {
  char buf[512];
  std::snprintf(buf, sizeof buf, "%-32.*s %-6.*s %7.*s %10.*s %10.*s %10.*s %9.*s %6.*s %s\n",
                static_cast<int>(name.size()), name.data(), static_cast<int>(kind.size()),
                kind.data(), static_cast<int>(blobs.size()), blobs.data(),
                static_cast<int>(bytes.size()), bytes.data(), static_cast<int>(unique.size()),
                unique.data(), static_cast<int>(shared.size()), shared.data(),
                static_cast<int>(manifests.size()), manifests.data(), static_cast<int>(tags.size()),
                tags.data(), std::string(uploads).c_str());
  // A longer name than the column keeps its line: no name is cut.
  if (name.size() > 32)
    return std::string(name) + "\n" +
           row("", kind, blobs, bytes, unique, shared, manifests, tags, uploads);
  return buf;
}

std::string count_text(const UsageCount& c) {
  return std::to_string(c.count) + " blobs, " + format_bytes(c.bytes);
}

}  // namespace

std::string du_usage() {
  return R"(Usage: cairn du --root DIR [--metadata URI] [--json] [--config FILE]
                [--upstream HOST=URL]...

Shows what a stopped server's data root holds: per repository the blobs it references and
their bytes, the part no other repository records (unique) and the part shared with others
(stored once), manifests, tags and uploads in progress; then the totals, each blob counted
once, for pushed repositories and for the pull-through cache's. For a running server use
GET /_admin/du.

  --root DIR            the data root                                   [./var]
  --metadata URI        its metadata in PostgreSQL (the server's --metadata)
  --json                print the figures as one JSON object on stdout (as GET /_admin/du)
  --config FILE         the server's config file: its root and upstreams
  --upstream HOST=URL   an upstream of the cache (repeatable): its repositories are cache

Exit status: 0 done, 1 the walk failed, 2 usage or open error.
)";
}

int du_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  bool json = false;
  // --root, --metadata, --config and --upstream mean what they mean to `cairn serve`.
  std::vector<std::string> serve_args;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    std::string v;
    if (a == "--help" || a == "-h") {
      out << du_usage();
      return 0;
    } else if (a == "--json") {
      json = true;
    } else if (flag_value(args, i, "--root", v) || flag_value(args, i, "--metadata", v) ||
               flag_value(args, i, "--config", v) || flag_value(args, i, "--upstream", v)) {
      serve_args.push_back(a.substr(0, a.find('=')));  // `a` is still the flag's word
      serve_args.push_back(v);
    } else {
      err << "cairn du: unknown option " << a << "\n" << du_usage();
      return 2;
    }
  }
  Config config;
  std::string error;
  if (!parse_serve_args(serve_args, config, error)) {
    err << "cairn du: " << error << "\n";
    return 2;
  }
  StorageOptions storage_options;
  storage_options.metadata_uri = config.metadata;
  auto storage =
      open_offline_root(config.root, storage_options, "cairn du", "use GET /_admin/du", err);
  if (!storage)
    return 2;

  UsageOptions options;
  std::vector<std::string> prefixes;
  for (const auto& up : config.upstreams)
    prefixes.push_back(cache_prefix(up.host));
  options.is_cache = [&](std::string_view ns) {
    return std::any_of(prefixes.begin(), prefixes.end(),
                       [&](const std::string& p) { return ns.starts_with(p); });
  };
  PhasedProgress progress(err, stderr_is_tty(), "du");
  options.on_progress = [&](const Progress& p) { progress(p); };
  auto usage = compute_usage(*storage, options);
  progress.finish();
  if (!usage) {
    err << "cairn du: " << usage.error().detail << "\n";
    return 1;
  }
  if (json) {
    out << handlers::usage_json(*usage).dump(2) << "\n";
    return 0;
  }
  out << row("REPOSITORY", "KIND", "BLOBS", "BYTES", "UNIQUE", "SHARED", "MANIFESTS", "TAGS",
             "UPLOADS");
  for (const NamespaceUsage& n : usage->namespaces) {
    out << row(n.name, n.cache ? "cache" : "pushed", std::to_string(n.blobs.count),
               format_bytes(n.blobs.bytes), format_bytes(n.unique.bytes),
               format_bytes(n.shared.bytes), std::to_string(n.manifests), std::to_string(n.tags),
               n.ingests.count == 0
                   ? "-"
                   : std::to_string(n.ingests.count) + " (" + format_bytes(n.ingests.bytes) + ")");
  }
  out << "total:    " << count_text(usage->all) << " stored once ("
      << format_bytes(usage->referenced_bytes) << " referenced by all repositories together)\n"
      << "pushed:   " << count_text(usage->pushed) << "\n"
      << "cache:    " << count_text(usage->cache) << "\n"
      << "shared:   " << count_text(usage->shared) << " recorded by two or more repositories\n"
      << "files:    " << count_text(usage->files) << " in the blob tree\n"
      << "uploads:  " << usage->ingests.count << " in progress, "
      << format_bytes(usage->ingests.bytes) << " received\n";
  return 0;
}

}  // namespace cairn::app
