#include "app/config.h"

#include "app/policy_config.h"
#include "grpc_api/server.h"
#include "s3/bucket.h"
#include "upstream/url.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <iterator>
#include <map>

namespace cairn::app {

std::string metadata_uri_error(std::string_view uri) {
  if (uri.starts_with("postgresql://") || uri.starts_with("postgres://"))
    return {};
  return "--metadata wants a PostgreSQL URI such as postgresql://cairn@127.0.0.1:5432/cairn";
}

bool parse_listen(const std::string& text, std::string& host, uint16_t& port) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return false;
  std::string h = text.substr(0, colon);
  if (h.front() == '[') {
    if (h.back() != ']')
      return false;
    h = h.substr(1, h.size() - 2);
  }
  unsigned p = 0;
  const char* begin = text.data() + colon + 1;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, p);
  if (ec != std::errc() || ptr != end || begin == end || p > 65535)
    return false;
  host = h;
  port = static_cast<uint16_t>(p);
  return true;
}

namespace {

// A host name as clients write it before the first '/' of an image reference: letters, digits,
// '.', '-', and an optional ":port".
bool valid_upstream_host(std::string_view host) {
  if (host.empty() || host.size() > 255)
    return false;
  for (char ch : host) {
    if (!(std::islower(static_cast<unsigned char>(ch)) ||
          std::isdigit(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-' || ch == ':')) {
      return false;
    }
  }
  return true;
}

// Adds (or, for a host already named, replaces) an upstream. Returns an error message or "".
std::string add_upstream(Config& c, upstream::Endpoint ep) {
  if (!valid_upstream_host(ep.host))
    return "upstream host '" + ep.host + "' must be a lowercase host name, e.g. docker.io";
  if (!upstream::parse_url(ep.url))
    return "upstream URL '" + ep.url + "' must be http://HOST[:PORT] or https://HOST[:PORT]";
  for (auto& existing : c.upstreams) {
    if (existing.host == ep.host) {
      existing = std::move(ep);
      return "";
    }
  }
  c.upstreams.push_back(std::move(ep));
  return "";
}

// One upstream object of the config file: {"host", "url", "username", "password", "ca-file",
// "insecure", "revalidate"}.
std::string upstream_from_json(Config& c, const nlohmann::json& j) {
  if (!j.is_object())
    return "each of \"upstreams\" is an object with host and url";
  upstream::Endpoint ep;
  for (const auto& [key, value] : j.items()) {
    if (key == "insecure") {
      if (!value.is_boolean())
        return "upstream \"insecure\" is true or false";
      ep.insecure = value.get<bool>();
      continue;
    }
    if (key == "token-hosts") {
      if (!value.is_array())
        return "upstream \"token-hosts\" is an array of host names";
      for (const auto& h : value) {
        if (!h.is_string() || h.get<std::string>().empty())
          return "upstream \"token-hosts\" is an array of host names";
        ep.token_hosts.push_back(h.get<std::string>());
      }
      continue;
    }
    if (!value.is_string())
      return "upstream \"" + key + "\" must be a string";
    const auto text = value.get<std::string>();
    if (key == "host") {
      ep.host = text;
    } else if (key == "url") {
      ep.url = text;
    } else if (key == "username") {
      ep.username = text;
    } else if (key == "password") {
      ep.password = text;
    } else if (key == "ca-file") {
      ep.ca_file = text;
    } else if (key == "revalidate") {
      auto d = parse_duration(text);
      if (!d)
        return "upstream \"revalidate\" wants a duration such as 1m";
      ep.revalidate = *d;
    } else {
      return "unknown upstream key \"" + key + "\"";
    }
  }
  return add_upstream(c, std::move(ep));
}

// One notification endpoint of the config file: {"url", "name", "headers": {NAME: VALUE or
// [VALUES]}, "events": ["push", "pull", "delete"], "timeout", "backoff", "max-backoff",
// "queue-size", "ca-file", "insecure"}.
std::string notification_from_json(Config& c, const nlohmann::json& j) {
  const std::string shape = "each of \"notifications\" is an object with a url";
  if (!j.is_object())
    return shape;
  notify::EndpointConfig ep;
  for (const auto& [key, value] : j.items()) {
    const std::string what = "notification \"" + key + "\"";
    if (key == "headers") {
      if (!value.is_object())
        return what + " is an object of NAME: VALUE or NAME: [VALUES]";
      for (const auto& [name, v] : value.items()) {
        if (v.is_string()) {
          ep.headers.emplace_back(name, v.get<std::string>());
          continue;
        }
        if (!v.is_array())
          return what + " is an object of NAME: VALUE or NAME: [VALUES]";
        for (const auto& each : v) {
          if (!each.is_string())
            return what + " is an object of NAME: VALUE or NAME: [VALUES]";
          ep.headers.emplace_back(name, each.get<std::string>());
        }
      }
      continue;
    }
    if (key == "events") {
      if (!value.is_array())
        return what + " is an array of \"push\", \"pull\", \"delete\"";
      for (const auto& e : value) {
        auto action = e.is_string() ? notify::parse_action(e.get<std::string>()) : std::nullopt;
        if (!action)
          return what + " is an array of \"push\", \"pull\", \"delete\"";
        ep.events.push_back(*action);
      }
      continue;
    }
    if (key == "insecure") {
      if (!value.is_boolean())
        return what + " is true or false";
      ep.insecure = value.get<bool>();
      continue;
    }
    if (key == "queue-size") {
      if (!value.is_number_unsigned() || value.get<uint64_t>() == 0 ||
          value.get<uint64_t>() > 10'000'000)
        return what + " is a number from 1 to 10000000";
      ep.queue_size = value.get<size_t>();
      continue;
    }
    if (!value.is_string())
      return what + " must be a string";
    const auto text = value.get<std::string>();
    if (key == "url") {
      if (!upstream::parse_absolute_url(text))
        return "notification url '" + text + "' must be http[s]://HOST[:PORT][/PATH]";
      ep.url = text;
    } else if (key == "name") {
      ep.name = text;
    } else if (key == "ca-file") {
      ep.ca_file = text;
    } else if (key == "timeout" || key == "backoff" || key == "max-backoff") {
      auto d = parse_duration(text);
      if (!d || d->count() <= 0)
        return what + " wants a positive duration such as 5s";
      auto ms = std::max(std::chrono::duration_cast<std::chrono::milliseconds>(*d),
                         std::chrono::milliseconds(1));
      (key == "timeout" ? ep.timeout : key == "backoff" ? ep.backoff : ep.max_backoff) = ms;
    } else {
      return "unknown notification key \"" + key + "\"";
    }
  }
  if (ep.url.empty())
    return shape;
  c.notifications.push_back(std::move(ep));
  return "";
}

// Applies one setting (from a flag or the config file). Returns an error message or "".
std::string apply(Config& c, const std::string& key, const std::string& value) {
  auto as_int = [&](int64_t lo, int64_t hi, int64_t& out) {
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
    return ec == std::errc() && ptr == value.data() + value.size() && out >= lo && out <= hi;
  };
  int64_t n = 0;
  if (key == "root") {
    if (value.empty())
      return "--root needs a directory";
    c.root = value;
  } else if (key == "listen") {
    if (!parse_listen(value, c.host, c.port))
      return "--listen wants HOST:PORT, got " + value;
  } else if (key == "threads") {
    if (!as_int(0, 1024, n))
      return "--threads wants a number from 0 to 1024";
    c.threads = static_cast<int>(n);
  } else if (key == "content-sharing") {
    if (value != "shared" && value != "isolated")
      return "--content-sharing is shared or isolated";
    c.content_sharing = value;
  } else if (key == "access-log") {
    c.access_log = value;
  } else if (key == "max-connections") {
    if (!as_int(1, 1'000'000, n))
      return "--max-connections wants a number from 1 to 1000000";
    c.max_connections = static_cast<size_t>(n);
  } else if (key == "idle-timeout" || key == "io-timeout") {
    auto d = parse_duration(value);
    if (!d || *d < std::chrono::milliseconds(1))
      return "--" + key + " wants a duration such as 30s";
    (key == "idle-timeout" ? c.idle_timeout : c.io_timeout) =
        std::chrono::duration_cast<std::chrono::milliseconds>(*d);
  } else if (key == "min-body-rate") {
    auto b = parse_bytes(value);
    if (!b)
      return "--min-body-rate wants bytes per second such as 16K (0: no minimum)";
    c.min_body_rate = *b;
  } else if (key == "durability") {
    if (value != "strict" && value != "relaxed")
      return "--durability is strict or relaxed";
    c.durability = value;
  } else if (key == "metadata") {
    if (auto why = metadata_uri_error(value); !why.empty())
      return why;
    c.metadata = value;
  } else if (key == "blobs") {
    // The syntax now; the credentials when the server opens the bucket.
    if (auto l = s3::parse_location(value, "-", "-"); !l)
      return l.error().detail;
    c.blobs = value;
  } else if (key == "s3-redirect") {
    if (value == "on" || value == "true") {
      c.s3_redirect = std::chrono::minutes(20);
    } else if (value == "off" || value == "false") {
      c.s3_redirect = std::chrono::seconds(0);
    } else {
      auto d = parse_duration(value);
      if (!d || *d < std::chrono::seconds(1) || *d > std::chrono::hours(24 * 7))
        return "--s3-redirect is on, off, or how long a URL lasts (1s to 7d), such as 20m";
      c.s3_redirect = std::chrono::duration_cast<std::chrono::seconds>(*d);
    }
  } else if (key == "s3-access-key" || key == "s3-secret-key") {
    if (value.empty())
      return "--" + key + " wants a value";
    (key == "s3-access-key" ? c.s3_access_key : c.s3_secret_key) = value;
  } else if (key == "grpc-listen") {
    if (auto why = grpc_api::listen_address_error(value))
      return "--grpc-listen " + value + ": " + *why;
    c.grpc_listen = value;
  } else if (key == "grpc-namespace") {
    if (value.empty())
      return "--grpc-namespace wants a namespace name such as default or k8s.io";
    c.grpc_namespace = value;
  } else if (key == "retention-dry-run") {
    if (value != "true" && value != "false")
      return "--retention-dry-run is true or false";
    c.retention.dry_run = value == "true";
  } else if (key == "metrics") {
    if (value != "open" && value != "admin" && value != "off")
      return "--metrics is open, admin or off";
    c.metrics = value;
  } else if (key == "gc-grace") {
    auto d = parse_duration(value);
    if (!d)
      return "--gc-grace wants a duration such as 1h or 0s";
    c.gc_grace = std::chrono::duration_cast<std::chrono::milliseconds>(*d);
  } else if (key == "scrub-interval") {
    auto d = parse_duration(value);
    if (!d)
      return "--scrub-interval wants a duration such as 24h (0s: no scrub)";
    c.scrub_interval = std::chrono::duration_cast<std::chrono::milliseconds>(*d);
  } else if (key == "scrub-rate") {
    auto b = parse_bytes(value);
    if (!b || *b > (uint64_t{1} << 50))
      return "--scrub-rate wants bytes per second such as 32M (0: no limit)";
    c.scrub_rate = *b;
  } else if (key == "max-manifest-bytes") {
    auto b = parse_bytes(value);
    if (!b || *b == 0 || *b > (uint64_t{1} << 30))
      return "--max-manifest-bytes wants a byte count from 1 to 1G, such as 4M";
    c.max_manifest_bytes = *b;
  } else if (key == "max-uploads" || key == "max-uploads-per-repository") {
    if (!as_int(0, 100'000'000, n))
      return "--" + key + " wants a number (0: unlimited)";
    (key == "max-uploads" ? c.max_uploads : c.max_uploads_per_repository) = static_cast<size_t>(n);
  } else if (key == "min-free-bytes") {
    auto b = parse_bytes(value);
    if (!b)
      return "--min-free-bytes wants a byte count such as 2G (0: no floor)";
    c.min_free_bytes = *b;
  } else if (key == "upstream") {
    const size_t eq = value.find('=');
    if (eq == std::string::npos)
      return "--upstream wants HOST=URL, e.g. docker.io=https://registry-1.docker.io";
    upstream::Endpoint ep;
    ep.host = value.substr(0, eq);
    ep.url = value.substr(eq + 1);
    return add_upstream(c, std::move(ep));
  } else if (key == "default-upstream") {
    c.default_upstream = value;
  } else if (key == "cache-max-bytes") {
    auto b = parse_bytes(value);
    if (!b)
      return "--cache-max-bytes wants a byte count such as 10G (0: unlimited)";
    c.cache_max_bytes = *b;
  } else if (key == "tls-cert" || key == "tls-key" || key == "tls-client-ca") {
    if (value.empty())
      return "--" + key + " needs a file";
    (key == "tls-cert" ? c.tls_cert : key == "tls-key" ? c.tls_key : c.tls_client_ca) = value;
  } else if (key == "htpasswd" || key == "access-policy" || key == "token-key" ||
             key == "token-issuer" || key == "token-service" || key == "token-realm" ||
             key == "token-public-key") {
    // Authentication and access: files and names, read and checked at start-up.
    if (value.empty())
      return "--" + key + " needs a value";
    std::string Config::*field = key == "htpasswd"        ? &Config::htpasswd
                                 : key == "access-policy" ? &Config::access_policy
                                 : key == "token-key"     ? &Config::token_key
                                 : key == "token-issuer"  ? &Config::token_issuer
                                 : key == "token-service" ? &Config::token_service
                                 : key == "token-realm"   ? &Config::token_realm
                                                          : &Config::token_public_key;
    c.*field = value;
  } else {
    return "unknown option --" + key;
  }
  return "";
}

// Applies a config file's JSON text. Returns an error message (without the file name) or "".
std::string apply_json(Config& c, std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return "not a JSON object";
  for (const auto& [key, value] : j.items()) {
    if (key == "upstreams") {
      if (!value.is_array())
        return "\"upstreams\" is an array of {host, url, ...}";
      for (const auto& u : value) {
        if (auto err = upstream_from_json(c, u); !err.empty())
          return err;
      }
      continue;
    }
    if (key == "notifications") {
      if (!value.is_array())
        return "\"notifications\" is an array of {url, headers, events, timeout}";
      for (const auto& n : value) {
        if (auto err = notification_from_json(c, n); !err.empty())
          return err;
      }
      continue;
    }
    if (key == "retention" || key == "quotas") {  // app/policy_config.h
      auto err = key == "retention" ? retention_from_json(value, c.retention)
                                    : quotas_from_json(value, c.quotas);
      if (!err.empty())
        return err;
      continue;
    }
    if (key == "upstream" && value.is_array()) {  // ["HOST=URL", ...]
      for (const auto& u : value) {
        if (!u.is_string())
          return "each of \"upstream\" is a string HOST=URL";
        if (auto err = apply(c, key, u.get<std::string>()); !err.empty())
          return err;
      }
      continue;
    }
    // A setting is a string or a scalar (read as its JSON text: 4, true). An array or object
    // is no setting, and dumping one recurses once per level of nesting (found with fuzz_config:
    // 200,000 nested '[' overflowed the stack).
    if (value.is_structured())
      return "\"" + key + "\" wants a string or a number";
    std::string text_value = value.is_string() ? value.get<std::string>() : value.dump();
    if (auto err = apply(c, key, text_value); !err.empty())
      return err;
  }
  return "";
}

std::string load_file(Config& c, const std::string& path) {
  std::ifstream in(path);
  if (!in)
    return "cannot read config file " + path;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.eof() && in.fail())
    return "cannot read config file " + path;
  std::string err = apply_json(c, text);
  if (err == "not a JSON object")
    return "config file " + path + " is not a JSON object";
  return err.empty() ? err : path + ": " + err;
}

}  // namespace

namespace {

bool parse_flags(const std::vector<std::string>& args, Config& config, std::string& error) {
  std::vector<std::pair<std::string, std::string>> flags;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (!a.starts_with("--")) {
      error = "unexpected argument " + a;
      return false;
    }
    std::string key = a.substr(2), value;
    if (size_t eq = key.find('='); eq != std::string::npos) {
      value = key.substr(eq + 1);
      key = key.substr(0, eq);
    } else if (key == "s3-redirect" && (i + 1 == args.size() || args[i + 1].starts_with("--"))) {
      value = "on";  // a switch, or given a value
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      error = "--" + key + " needs a value";
      return false;
    }
    flags.emplace_back(key, value);
  }
  for (const auto& [key, value] : flags) {
    if (key == "config") {
      if (error = load_file(config, value); !error.empty())
        return false;
    }
  }
  for (const auto& [key, value] : flags) {
    if (key == "config")
      continue;
    if (error = apply(config, key, value); !error.empty())
      return false;
  }
  return true;
}

}  // namespace

bool parse_config_json(std::string_view text, Config& config, std::string& error) {
  error = apply_json(config, text);
  return error.empty();
}

bool parse_serve_args(const std::vector<std::string>& args, Config& config, std::string& error) {
  if (!parse_flags(args, config, error))
    return false;
  if (config.tls_cert.empty() != config.tls_key.empty()) {
    error = "--tls-cert and --tls-key go together";
    return false;
  }
  if (config.s3_redirect.count() > 0 && config.blobs.empty()) {
    error = "--s3-redirect needs --blobs";
    return false;
  }
  if (!config.tls_client_ca.empty() && config.tls_cert.empty()) {
    error = "--tls-client-ca needs --tls-cert and --tls-key";
    return false;
  }
  if (!config.default_upstream.empty()) {
    bool known = false;
    for (const auto& u : config.upstreams)
      known = known || u.host == config.default_upstream;
    if (!known) {
      error = "--default-upstream " + config.default_upstream + " is not one of the upstreams";
      return false;
    }
  }
  return true;
}

std::string usage_text() {
  return R"(cairn: a content-addressed blob service with OCI registry endpoints

Usage:
  cairn serve [options]     run the server
  cairn fsck --root DIR [--metadata URI] [--repair] [--json]
                            check (and repair) a stopped server's data root;
                            `cairn fsck --help` says more
  cairn gc --root DIR [--metadata URI] [--dry-run] [--json]
                            collect a stopped server's garbage (or say what
                            would go)
  cairn du --root DIR [--metadata URI] [--json]
                            bytes per repository, unique and shared, pushed
                            and cached, uploads
  cairn export --root DIR NAME[:TAG|@DIGEST] OCI_LAYOUT_DIR
  cairn import --root DIR OCI_LAYOUT_DIR NAME[:TAG]
                            copy an image to / from an OCI image layout
                            (skopeo's oci:DIR); `cairn <command> --help`
                            says more of each
  cairn --help              show this text

Options of serve (also accepted as keys of the --config JSON file, without "--"):
  --root DIR                data directory (metadata and blobs)        [./var]
  --listen HOST:PORT        address to listen on                       [127.0.0.1:5000]
  --threads N               I/O threads, 0 = one per core              [0]
  --content-sharing MODE    shared | isolated: may a blob known in one
                            repository be mounted into another without
                            its bytes                                  [shared]
  --access-log DEST         - (stdout) | off | a file path             [-]
  --max-connections N       concurrent connections                     [10000]
  --idle-timeout DURATION   wait for the first byte of each request
                            (the keep-alive idle limit), e.g. 60s      [60s]
  --io-timeout DURATION     limit for each body read or write step     [60s]
  --min-body-rate N         bytes/s a request body must average: the
                            time spent waiting for it may reach
                            io-timeout + 1s per N bytes received, then
                            the connection closes; 0 = no minimum      [16K]
  --durability MODE         strict: a write is acknowledged (201, 202) only
                            once it is on stable storage; relaxed: blob
                            bytes are fsynced but metadata is not (a
                            power cut may lose the last acknowledged
                            writes; a crash of cairn alone never does) [strict]
  --metadata URI            keep the metadata in PostgreSQL (a libpq URI,
                            postgresql://USER@HOST:PORT/DB) instead of
                            LevelDB under the root; with --blobs, any
                            number of replicas share it; else one
                            process per database                      [LevelDB]
  --blobs URI               keep the blobs in an S3 bucket instead of the
                            tree under the root:
                            s3://BUCKET[/PREFIX]?endpoint=URL&region=R
                            (credentials: AWS_ACCESS_KEY_ID and
                            AWS_SECRET_ACCESS_KEY, or the config keys
                            s3-access-key and s3-secret-key)             [tree]
  --s3-redirect [on|off|D]  with --blobs: answer blob GETs with a 307 to a
                            presigned URL of the object, valid D (on: 20m);
                            clients read the bytes from S3 itself        [off]
  --grpc-listen ADDR        also serve containerd's content and leases API
                            over gRPC: unix:///PATH (socket 0660) or
                            tcp://HOST:PORT (loopback only: no
                            authentication); for containerd's
                            proxy_plugins and ctr --address                [off]
  --grpc-namespace NAME     the namespace of gRPC calls that name none
                            (containerd's GC deletes content so)       [default]
  --metrics MODE            GET /metrics (Prometheus): open (no credentials,
                            as Distribution's debug listener) | admin
                            (the administrator right) | off (no route, no
                            per-request series)                        [open]
  --gc-grace DURATION       blobs younger than this are kept by garbage
                            collection even when nothing refers to them
                            (protects pushes of clients without leases);
                            0s turns it off                            [1h]
  --retention-dry-run BOOL  true: retention rules (config key "retention")
                            only report what they would remove  [false]
  --scrub-interval DURATION re-hash every blob in the background this long
                            after the last check ended, logging findings
                            (GET /_admin/fsck shows the report); 0s = off [0s]
  --scrub-rate N            the scrub's bandwidth in bytes/s; 0 = no limit
                                                                       [32M]
  --upstream HOST=URL       pull through from URL (http:// or https://)
                            for images named HOST/...: by ?ns=HOST (as
                            containerd's mirrors send), by a first path
                            component HOST (/v2/HOST/library/alpine/...)
                            or as the default upstream; repeatable.
                            Credentials, CA bundles, "insecure" and the
                            tag revalidation interval: the config file's
                            "upstreams" array (see the README)
  --default-upstream HOST   the upstream for plain names without local
                            content (podman/skopeo/Docker mirrors)
  --cache-max-bytes N       budget of cached content, e.g. 20G; the least
                            recently pulled is evicted; 0 = unlimited  [0]
  --max-manifest-bytes N    largest manifest a PUT may send (larger:
                            413 BODY_TOO_LARGE, not read)              [4M]
  --max-uploads N           upload sessions open at once; past it a new
                            one gets 429 TOOMANYREQUESTS; 0 = no limit [10000]
  --max-uploads-per-repository N
                            the same, in one repository                [1000]
  --min-free-bytes N        free space uploads and cache fills must leave
                            on the data root (past it: 507), so that
                            metadata, deletes and GC have room; 0 = no
                            floor       [1% of the filesystem, at most 1G]

TLS (HTTPS on the --listen address; SIGHUP reloads the certificate and key):
  --tls-cert FILE           PEM certificate chain (server first)
  --tls-key FILE            PEM private key of that certificate
  --tls-client-ca FILE      PEM CA bundle: ask clients for certificates and
                            verify them (mutual TLS); the certificate's CN
                            is the user name; clients without one connect
                            anonymously

Authentication and access (off unless --htpasswd, --access-policy or --token-realm is given):
  --htpasswd FILE           users and bcrypt hashes, as `htpasswd -B` writes them; clients send
                            Basic credentials or get a token from /_token
  --access-policy FILE      JSON rules: who may pull, push, delete where, and the admins (see
                            the README); without it every user in --htpasswd may do everything
                            and anonymous callers nothing
  --token-key FILE          the EC P-256 key /_token signs with (ES256); generated and written
                            there (mode 0600) when the file is absent            [in memory]
  --token-issuer NAME       the tokens' issuer (iss)                             [cairn]
  --token-service NAME      the service named in challenges and tokens' aud      [cairn]
  --token-realm URL         an external token server: challenges send clients there and
                            cairn only verifies its tokens (needs --token-public-key)
  --token-public-key FILE   the external token server's keys: PEM public keys, certificates,
                            or a JWKS document

  --config FILE             JSON file with any of the options above, and
                            "notifications": endpoints told of pushes, pulls
                            and deletes (see the README)
)";
}

}  // namespace cairn::app
