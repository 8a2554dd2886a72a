#include "app/config.h"

#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

#include <fstream>

namespace cairn::app {
namespace {

TEST(Config, Defaults) {
  Config c;
  std::string err;
  ASSERT_TRUE(parse_serve_args({}, c, err)) << err;
  EXPECT_EQ(c.root, "./var");
  EXPECT_EQ(c.host, "127.0.0.1");
  EXPECT_EQ(c.port, 5000);
  EXPECT_EQ(c.durability, "strict");
}

TEST(Config, Durability) {
  Config c;
  std::string err;
  ASSERT_TRUE(parse_serve_args({"--durability", "relaxed"}, c, err)) << err;
  EXPECT_EQ(c.durability, "relaxed");
  ASSERT_TRUE(parse_serve_args({"--durability=strict"}, c, err)) << err;
  EXPECT_EQ(c.durability, "strict");
  EXPECT_FALSE(parse_serve_args({"--durability", "fast"}, c, err));
  EXPECT_NE(err.find("--durability is strict or relaxed"), std::string::npos) << err;
}

TEST(Config, MetadataInPostgres) {
  Config c;
  std::string err;
  ASSERT_TRUE(parse_serve_args({}, c, err)) << err;
  EXPECT_EQ(c.metadata, "");  // LevelDB under the root
  ASSERT_TRUE(parse_serve_args({"--metadata", "postgresql://cairn@127.0.0.1:5432/cairn"}, c, err))
      << err;
  EXPECT_EQ(c.metadata, "postgresql://cairn@127.0.0.1:5432/cairn");
  EXPECT_FALSE(parse_serve_args({"--metadata=mysql://x"}, c, err));
  EXPECT_NE(err.find("--metadata wants a PostgreSQL URI"), std::string::npos) << err;
}

TEST(Config, S3Redirect) {
  const std::string blobs = "s3://cairn-test/p?endpoint=http://127.0.0.1:7480&region=us-east-1";
  Config c;
  std::string err;
  ASSERT_TRUE(parse_serve_args({"--blobs", blobs}, c, err)) << err;
  EXPECT_EQ(c.s3_redirect.count(), 0);  // off
  // A switch, last or before another flag; or a lifetime; or off again.
  ASSERT_TRUE(parse_serve_args({"--blobs", blobs, "--s3-redirect"}, c, err)) << err;
  EXPECT_EQ(c.s3_redirect, std::chrono::minutes(20));
  c = Config{};
  ASSERT_TRUE(parse_serve_args({"--s3-redirect", "--blobs", blobs}, c, err)) << err;
  EXPECT_EQ(c.s3_redirect, std::chrono::minutes(20));
  ASSERT_TRUE(parse_serve_args({"--blobs", blobs, "--s3-redirect", "90s"}, c, err)) << err;
  EXPECT_EQ(c.s3_redirect, std::chrono::seconds(90));
  ASSERT_TRUE(parse_serve_args({"--blobs", blobs, "--s3-redirect=off"}, c, err)) << err;
  EXPECT_EQ(c.s3_redirect.count(), 0);
  c = Config{};
  EXPECT_FALSE(parse_serve_args({"--blobs", blobs, "--s3-redirect", "8d"}, c, err));
  EXPECT_NE(err.find("1s to 7d"), std::string::npos) << err;
  c = Config{};
  EXPECT_FALSE(parse_serve_args({"--s3-redirect"}, c, err));
  EXPECT_NE(err.find("needs --blobs"), std::string::npos) << err;
}

TEST(Config, GrpcListener) {
  Config c;
  std::string err;
  ASSERT_TRUE(parse_serve_args({}, c, err)) << err;
  EXPECT_EQ(c.grpc_listen, "");  // off
  EXPECT_EQ(c.grpc_namespace, "default");
  ASSERT_TRUE(parse_serve_args(
      {"--grpc-listen", "unix:///run/cairn/grpc.sock", "--grpc-namespace", "k8s.io"}, c, err))
      << err;
  EXPECT_EQ(c.grpc_listen, "unix:///run/cairn/grpc.sock");
  EXPECT_EQ(c.grpc_namespace, "k8s.io");
  EXPECT_FALSE(parse_serve_args({"--grpc-listen=tcp://0.0.0.0:7000"}, c, err));
  EXPECT_NE(err.find("loopback"), std::string::npos) << err;
  EXPECT_FALSE(parse_serve_args({"--grpc-listen=grpc.sock"}, c, err));
  EXPECT_NE(err.find("--grpc-listen"), std::string::npos) << err;
}

TEST(Config, FlagsBothForms) {
  Config c;
  std::string err;
  ASSERT_TRUE(
      parse_serve_args({"--root", "/tmp/x", "--listen=[::1]:8080", "--threads", "3"}, c, err))
      << err;
  EXPECT_EQ(c.root, "/tmp/x");
  EXPECT_EQ(c.host, "::1");
  EXPECT_EQ(c.port, 8080);
  EXPECT_EQ(c.threads, 3);
}

TEST(Config, AuthFlagsAndFileKeys) {
  cairn::testing::TempDir dir;
  auto file = (dir / "c.json").string();
  std::ofstream(file) << R"({"htpasswd": "/etc/cairn/users", "access-policy": "/p.json",
                             "token-service": "registry.example"})";
  Config c;
  std::string err;
  ASSERT_TRUE(parse_serve_args(
      {"--config", file, "--token-key", "/k.pem", "--token-issuer=me", "--token-realm",
       "https://auth.example/token", "--token-public-key", "/jwks.json"},
      c, err))
      << err;
  EXPECT_EQ(c.htpasswd, "/etc/cairn/users");
  EXPECT_EQ(c.access_policy, "/p.json");
  EXPECT_EQ(c.token_service, "registry.example");
  EXPECT_EQ(c.token_key, "/k.pem");
  EXPECT_EQ(c.token_issuer, "me");
  EXPECT_EQ(c.token_realm, "https://auth.example/token");
  EXPECT_EQ(c.token_public_key, "/jwks.json");
  EXPECT_FALSE(parse_serve_args({"--htpasswd="}, c, err));
  EXPECT_NE(err.find("--htpasswd needs a value"), std::string::npos) << err;
}

TEST(Config, BadFlagsAreClearErrors) {
  for (std::vector<std::string> args :
       std::vector<std::vector<std::string>>{{"--listen", "nohost"},
                                             {"--listen", "h:99999"},
                                             {"--threads", "-1"},
                                             {"--content-sharing", "open"},
                                             {"--bogus", "1"},
                                             {"--root"},
                                             {"stray"},
                                             {"--idle-timeout", "5 parsecs"}}) {
    Config c;
    std::string err;
    EXPECT_FALSE(parse_serve_args(args, c, err)) << args[0];
    EXPECT_FALSE(err.empty());
  }
}

TEST(Config, FileThenFlagsOverride) {
  cairn::testing::TempDir dir;
  auto path = dir / "cairn.json";
  std::ofstream(path) << R"({"root": "/srv/a", "listen": "127.0.0.1:7000", "threads": 4})";
  Config c;
  std::string err;
  ASSERT_TRUE(parse_serve_args({"--config", path.string(), "--threads", "2"}, c, err)) << err;
  EXPECT_EQ(c.root, "/srv/a");
  EXPECT_EQ(c.port, 7000);
  EXPECT_EQ(c.threads, 2);
}

// parse_config_json is what --config does with the file's bytes (the fuzz target's entry point).
TEST(Config, JsonTextWithoutAFile) {
  Config c;
  std::string err;
  ASSERT_TRUE(parse_config_json(R"({"root": "/srv/b", "listen": "[::1]:7001",
                                     "upstreams": [{"host": "a.test", "url": "https://a.test"}]})",
                                c, err))
      << err;
  EXPECT_EQ(c.root, "/srv/b");
  EXPECT_EQ(c.host, "::1");
  EXPECT_EQ(c.port, 7001);
  ASSERT_EQ(c.upstreams.size(), 1u);
  for (const char* bad :
       {"", "[]", "{", "{\"threads\": 9999}", "{\"nope\": 1}", "{\"upstreams\": {}}"}) {
    Config d;
    EXPECT_FALSE(parse_config_json(bad, d, err)) << bad;
    EXPECT_FALSE(err.empty()) << bad;
  }
}

// Found with fuzz_config (a crafted input): a deeply nested value was dumped recursively and
// overflowed the stack.
TEST(Config, NestedValuesAreRefusedNotDumped) {
  const std::string deep = std::string(200'000, '[') + std::string(200'000, ']');
  for (const std::string& text :
       {R"({"threads": )" + deep + "}", R"({"upstream": [)" + deep + "]}",
        std::string(R"({"threads": [4]})"), std::string(R"({"upstream": [{"a": 1}]})")}) {
    Config c;
    std::string err;
    EXPECT_FALSE(parse_config_json(text, c, err)) << text.substr(0, 40);
    EXPECT_FALSE(err.empty());
  }
  Config c;
  std::string err;
  EXPECT_TRUE(parse_config_json(R"({"threads": 4, "max-connections": 10})", c, err)) << err;
  EXPECT_EQ(c.threads, 4);
}

TEST(Config, BadFileNamesTheFile) {
  cairn::testing::TempDir dir;
  auto path = dir / "cairn.json";
  Config c;
  std::string err;
  std::ofstream(path) << "[1]";
  EXPECT_FALSE(parse_serve_args({"--config", path.string()}, c, err));
  EXPECT_EQ(err, "config file " + path.string() + " is not a JSON object");
  std::ofstream(path) << R"({"threads": "x"})";
  EXPECT_FALSE(parse_serve_args({"--config", path.string()}, c, err));
  EXPECT_EQ(err.rfind(path.string() + ": --threads", 0), 0u) << err;
  EXPECT_FALSE(parse_serve_args({"--config", (dir / "missing.json").string()}, c, err));
  EXPECT_NE(err.find("cannot read config file"), std::string::npos) << err;
}

TEST(Config, UpstreamsFromFlags) {
  Config c;
  std::string err;
  ASSERT_TRUE(parse_serve_args({"--upstream", "docker.io=https://registry-1.docker.io",
                                "--upstream=127.0.0.1:5001=http://127.0.0.1:5001",
                                "--default-upstream", "docker.io", "--cache-max-bytes", "20G"},
                               c, err))
      << err;
  ASSERT_EQ(c.upstreams.size(), 2u);
  EXPECT_EQ(c.upstreams[0].host, "docker.io");
  EXPECT_EQ(c.upstreams[0].url, "https://registry-1.docker.io");
  EXPECT_EQ(c.upstreams[0].revalidate, std::chrono::minutes(1));
  EXPECT_EQ(c.upstreams[1].host, "127.0.0.1:5001");
  EXPECT_EQ(c.default_upstream, "docker.io");
  EXPECT_EQ(c.cache_max_bytes, 20ull << 30);
}

TEST(Config, UpstreamsFromTheFile) {
  cairn::testing::TempDir dir;
  auto path = dir / "cairn.json";
  std::ofstream(path) << R"({"upstreams": [
      {"host": "ghcr.io", "url": "https://ghcr.io", "username": "u", "password": "p",
       "ca-file": "/etc/ca.pem", "revalidate": "5m", "token-hosts": ["auth.ghcr.test"]},
      {"host": "lab.test", "url": "https://lab.test:8443", "insecure": true}],
    "default-upstream": "ghcr.io", "cache-max-bytes": "100MiB"})";
  Config c;
  std::string err;
  ASSERT_TRUE(parse_serve_args({"--config", path.string()}, c, err)) << err;
  ASSERT_EQ(c.upstreams.size(), 2u);
  EXPECT_EQ(c.upstreams[0].username, "u");
  EXPECT_EQ(c.upstreams[0].password, "p");
  EXPECT_EQ(c.upstreams[0].ca_file, "/etc/ca.pem");
  EXPECT_EQ(c.upstreams[0].revalidate, std::chrono::minutes(5));
  EXPECT_EQ(c.upstreams[0].token_hosts, (std::vector<std::string>{"auth.ghcr.test"}));
  EXPECT_TRUE(c.upstreams[1].insecure);
  EXPECT_TRUE(c.upstreams[1].token_hosts.empty());
  EXPECT_EQ(c.default_upstream, "ghcr.io");
  EXPECT_EQ(c.cache_max_bytes, 100ull << 20);
}

TEST(Config, BadUpstreamsAreClearErrors) {
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"--upstream", "docker.io"},
           {"--upstream", "Docker.IO=https://x"},
           {"--upstream", "a.test=ftp://a.test"},
           {"--upstream", "a.test=https://a.test/path"},
           {"--upstream", "a.test=https://a.test", "--default-upstream", "b.test"},
           {"--cache-max-bytes", "ten"},
           {"--cache-max-bytes", "5Q"},
           {"--cache-max-bytes", "99999999999T"}}) {
    Config c;
    std::string err;
    EXPECT_FALSE(parse_serve_args(args, c, err)) << args[1];
    EXPECT_FALSE(err.empty());
  }
}

TEST(Config, TlsFlagsAndKeys) {
  cairn::testing::TempDir dir;
  auto path = dir / "c.json";
  std::ofstream(path) << R"({"tls-cert": "/etc/c.pem", "tls-key": "/etc/k.pem"})";
  Config c;
  std::string err;
  ASSERT_TRUE(
      parse_serve_args({"--config", path.string(), "--tls-client-ca", "/etc/ca.pem"}, c, err))
      << err;
  EXPECT_EQ(c.tls_cert, "/etc/c.pem");
  EXPECT_EQ(c.tls_key, "/etc/k.pem");
  EXPECT_EQ(c.tls_client_ca, "/etc/ca.pem");
  for (const std::vector<std::string>& args : {std::vector<std::string>{"--tls-cert", "c.pem"},
                                               {"--tls-key", "k.pem"},
                                               {"--tls-client-ca", "ca.pem"},
                                               {"--tls-cert", "", "--tls-key", "k.pem"}}) {
    Config bad;
    EXPECT_FALSE(parse_serve_args(args, bad, err)) << args[0];
    EXPECT_NE(err.find("--tls-"), std::string::npos) << err;
  }
}

TEST(Config, MinBodyRate) {
  Config c;
  std::string err;
  EXPECT_EQ(c.min_body_rate, 16u * 1024);
  ASSERT_TRUE(parse_serve_args({"--min-body-rate", "1M"}, c, err)) << err;
  EXPECT_EQ(c.min_body_rate, 1u << 20);
  ASSERT_TRUE(parse_serve_args({"--min-body-rate", "0"}, c, err)) << err;
  EXPECT_EQ(c.min_body_rate, 0u);
  EXPECT_FALSE(parse_serve_args({"--min-body-rate", "fast"}, c, err));
}

TEST(Config, ClientLimits) {
  Config c;
  EXPECT_EQ(c.max_manifest_bytes, 4u << 20);
  std::string err;
  ASSERT_TRUE(parse_serve_args(
      {"--max-manifest-bytes", "1M", "--max-uploads", "50", "--max-uploads-per-repository", "0"}, c,
      err))
      << err;
  EXPECT_EQ(c.max_manifest_bytes, 1u << 20);
  EXPECT_EQ(c.max_uploads, 50u);
  EXPECT_EQ(c.max_uploads_per_repository, 0u);
  for (std::vector<std::string> args :
       std::vector<std::vector<std::string>>{{"--max-manifest-bytes", "0"},
                                             {"--max-manifest-bytes", "2G"},
                                             {"--max-uploads", "-1"},
                                             {"--max-uploads-per-repository", "x"}}) {
    Config bad;
    EXPECT_FALSE(parse_serve_args(args, bad, err)) << args[0] << " " << args[1];
    EXPECT_NE(err.find(args[0]), std::string::npos) << err;
  }
}

TEST(Config, ScrubIntervalAndRate) {
  Config c;
  std::string err;
  EXPECT_EQ(c.scrub_interval.count(), 0);  // off by default
  EXPECT_EQ(c.scrub_rate, 32u << 20);
  ASSERT_TRUE(parse_serve_args({"--scrub-interval", "24h", "--scrub-rate=8M"}, c, err)) << err;
  EXPECT_EQ(c.scrub_interval, std::chrono::hours(24));
  EXPECT_EQ(c.scrub_rate, 8u << 20);
  ASSERT_TRUE(parse_config_json(R"({"scrub-interval": "90m", "scrub-rate": "0"})", c, err)) << err;
  EXPECT_EQ(c.scrub_interval, std::chrono::minutes(90));
  EXPECT_EQ(c.scrub_rate, 0u);
  EXPECT_FALSE(parse_serve_args({"--scrub-interval", "daily"}, c, err));
  EXPECT_NE(err.find("--scrub-interval"), std::string::npos);
  EXPECT_FALSE(parse_serve_args({"--scrub-rate", "fast"}, c, err));
}

}  // namespace
}  // namespace cairn::app
