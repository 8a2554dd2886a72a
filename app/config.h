// Config: everything `cairn serve` can be told, from flags and an optional JSON file.
//
// Precedence: built-in defaults < the JSON file named by --config < flags. The JSON keys are
// the long flag names without "--" (e.g. {"root": "/srv/cairn", "listen": "127.0.0.1:5000"}).
#pragma once

#include "notify/notifier.h"
#include "storage/common/units.h"
#include "storage/gc/retention.h"
#include "storage/quota.h"
#include "upstream/client.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::app {

// Why `uri` cannot be a --metadata value, empty when it can (a PostgreSQL URI).
std::string metadata_uri_error(std::string_view uri);

struct Config {
  std::string root = "./var";
  std::string host = "127.0.0.1";
  uint16_t port = 5000;
  int threads = 0;                         // 0: one per core
  std::string content_sharing = "shared";  // "shared" or "isolated"
  std::string access_log = "-";            // "-": stdout; "off": none; else a file path
  size_t max_connections = 10'000;
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds io_timeout{60'000};
  uint64_t min_body_rate = 16 * 1024;  // bytes/s a request body must average (0: no minimum)
  std::chrono::milliseconds gc_grace{3'600'000};  // blobs younger than this are GC roots
  // "strict": an acknowledged write is on stable storage (metadata batches fsynced); "relaxed":
  // metadata batches are not fsynced (a power cut may lose the last acknowledged writes).
  std::string durability = "strict";
  std::string metadata;  // --metadata: a PostgreSQL URI; empty: LevelDB under the root
  // --blobs: s3://BUCKET[/PREFIX]?endpoint=…&region=… (app/blob_backend.h); empty: the blob
  // tree under the root. Its credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the
  // environment, else these (config file keys s3-access-key, s3-secret-key).
  std::string blobs;
  std::string s3_access_key;
  std::string s3_secret_key;
  // --s3-redirect [on|off|DURATION]: with --blobs, blob GETs answer 307 to a presigned URL of the
  // object, valid this long (on: 20 minutes, as Distribution's s3 driver); 0: off.
  std::chrono::seconds s3_redirect{0};
  // containerd's content and leases API over gRPC (grpc_api/server.h): --grpc-listen
  // unix:///PATH or tcp://HOST:PORT (loopback), empty: off; the namespace of calls without
  // containerd-namespace metadata.
  std::string grpc_listen;
  std::string grpc_namespace = "default";
  // GET /metrics: "open" (no credentials), "admin" (the administrator right) or "off" (no route,
  // no per-request series).
  std::string metrics = "open";
  // The background scrub (storage/fsck/runner.h): every scrub_interval (0: off) re-hash every
  // blob at no more than scrub_rate bytes/s (0: no limit).
  std::chrono::milliseconds scrub_interval{0};
  uint64_t scrub_rate = 32 << 20;
  // The pull-through cache: the upstreams (none: no cache), the one plain names go to, and the
  // byte budget of cached content (0: unlimited).
  std::vector<upstream::Endpoint> upstreams;
  std::string default_upstream;
  uint64_t cache_max_bytes = 0;
  // Limits on what clients send.
  uint64_t max_manifest_bytes = 4 << 20;
  size_t max_uploads = 10'000;                // upload sessions open at once (0: unlimited)
  size_t max_uploads_per_repository = 1'000;  // ... in one repository (0: unlimited)
  // Bytes uploads and cache fills must leave free on the data root's filesystem (507 past it);
  // 0: no floor; nullopt: 1 % of the filesystem, at most 1 GiB (StorageOptions::min_free_bytes).
  std::optional<uint64_t> min_free_bytes;
  // TLS: HTTPS on the listen address when tls_cert is set (with tls_key); tls_client_ca asks for
  // client certificates and verifies them (mutual TLS).
  std::string tls_cert;
  std::string tls_key;
  std::string tls_client_ca;

  // Authentication and access (handlers/auth.h). Auth is on with any of htpasswd,
  // access_policy, token_realm/token_public_key.
  std::string htpasswd;          // --htpasswd FILE: bcrypt users
  std::string access_policy;     // --access-policy FILE: JSON rules
  std::string token_key;         // --token-key FILE: ES256 signing key (created when absent)
  std::string token_issuer;      // --token-issuer NAME ("" → "cairn")
  std::string token_service;     // --token-service NAME ("" → "cairn")
  std::string token_realm;       // --token-realm URL: an external token server
  std::string token_public_key;  // --token-public-key FILE: its keys (PEM or JWKS)

  // Notification endpoints (config file only: "notifications", see notify/notifier.h).
  std::vector<notify::EndpointConfig> notifications;
  // Retention rules and byte quotas per repository glob (config file only: "retention",
  // "retention-dry-run", "quotas"; app/policy_config.h).
  gc::RetentionPolicy retention;
  QuotaPolicy quotas;
};

// Parses "HOST:PORT" ("[::1]:5000" for IPv6). Returns false when malformed.
bool parse_listen(const std::string& text, std::string& host, uint16_t& port);

// Fills `config` from `args` (the words after "serve"). On a bad flag or file returns false
// and sets `error` to a message for the user.
bool parse_serve_args(const std::vector<std::string>& args, Config& config, std::string& error);

// Applies the text of a --config JSON file to `config` (what --config FILE does with the file's
// bytes; flags are applied after it). On bad JSON or a bad setting returns false and sets
// `error` (the message does not name a file). Pure: reads no file, never throws.
bool parse_config_json(std::string_view text, Config& config, std::string& error);

// The usage text printed by --help.
std::string usage_text();

}  // namespace cairn::app
