// UpstreamRegistry: a real CNCF Distribution registry (Debian's /usr/bin/docker-registry, 2.8)
// for the upstream client and pull-through cache tests, started as a child process on
// 127.0.0.1 with a free port and a temporary storage root, stopped (SIGTERM, then SIGKILL after
// 5 s) by its destructor.
//
// Options: TLS with a self-signed certificate for 127.0.0.1/localhost (ca_file() is the PEM to
// trust), htpasswd basic auth, and distribution's proxy (pull-through) mode. The registry's
// text log goes to log_file(); count_requests() counts the requests it logged.
//
// Log format (distribution 2.8, formatter text): one line per finished request,
//   time=… level=info msg="response completed" … http.request.method=GET …
//   http.request.remoteaddr="127.0.0.1:46600" http.request.uri=/v2/ … http.response.status=200
// ("response completed with error" for 4xx/5xx answers). Values are quoted only when they
// hold spaces, quotes or '='. A request refused by htpasswd auth (401) has no "response
// completed" line: it is logged as msg="error authorizing context: basic authentication
// challenge…" (level=warning; bad credentials add an "error authenticating user" line first).
// count_requests() counts "response completed*" and "error authorizing context*" lines, so each
// request once. The line is written after the response, so a count read right after a client
// got its answer can lag by a moment: count_requests() waits up to ~0.5 s for it to settle.
//
// Pushes use curl subprocesses (with --cacert / -u as configured); every helper throws
// std::runtime_error on failure (tests: let it fail the test).
#pragma once

#include "storage/content/digest.h"
#include "tests/support/ports.h"
#include "tests/support/run_command.h"
#include "tests/support/temp_dir.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

extern char** environ;

namespace cairn::testing {

// "sha256:<hex>" of a string / of a file's bytes (streamed).
inline std::string sha256_digest(std::string_view bytes) {
  return content::digest_of(bytes, content::Algorithm::sha256).str();
}
inline std::string sha256_file_digest(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw std::runtime_error("cannot read " + file.string());
  content::Hasher hasher(content::Algorithm::sha256);
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    hasher.update(std::string_view(buf.data(), static_cast<size_t>(in.gcount())));
  }
  return hasher.digest().str();
}

struct UpstreamRegistryOptions {
  bool tls = false;           // serve https with a self-signed cert (see ca_file())
  std::string htpasswd_user;  // non-empty: require basic auth (htpasswd -B)
  std::string htpasswd_password;
  std::string proxy_remote_url;  // non-empty: distribution's pull-through mode
  std::string proxy_username;
  std::string proxy_password;
};

class UpstreamRegistry {
 public:
  // Starts the registry and waits until GET /v2/ answers. Throws std::runtime_error.
  explicit UpstreamRegistry(UpstreamRegistryOptions options = {}) : options_(std::move(options)) {
    std::filesystem::create_directories(dir_ / "data");
    if (options_.tls) {
      std::string out;
      int rc = run_command(
          {"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
           "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-days", "2", "-keyout",
           (dir_ / "key.pem").string(), "-out", (dir_ / "cert.pem").string()},
          &out, dir_.path());
      if (rc != 0)
        throw std::runtime_error("openssl req failed");
    }
    if (!options_.htpasswd_user.empty()) {
      std::string line;
      if (run_command({"htpasswd", "-Bbn", options_.htpasswd_user, options_.htpasswd_password},
                      &line, dir_.path()) != 0)
        throw std::runtime_error("htpasswd failed");
      std::ofstream(dir_ / "htpasswd") << line;
    }
    // A port picked free may be taken before the registry binds it: try a few.
    for (int attempt = 0;; ++attempt) {
      port_ = pick_free_port();
      write_config();
      try {
        start();
        return;
      } catch (const std::exception&) {
        if (attempt >= 4)
          throw;
      }
    }
  }
  ~UpstreamRegistry() { stop(); }
  UpstreamRegistry(const UpstreamRegistry&) = delete;
  UpstreamRegistry& operator=(const UpstreamRegistry&) = delete;

  uint16_t port() const { return port_; }
  // "http://127.0.0.1:P" or "https://127.0.0.1:P".
  std::string url() const {
    return (options_.tls ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(port_);
  }
  // The PEM to trust for tls (empty path without tls).
  std::filesystem::path ca_file() const {
    return options_.tls ? dir_ / "cert.pem" : std::filesystem::path();
  }
  std::filesystem::path log_file() const { return dir_ / "registry.log"; }
  std::string log() const {
    std::ifstream in(log_file(), std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  // A directory for test files, removed with the registry.
  const std::filesystem::path& dir() const { return dir_.path(); }
  bool running() const { return pid_ > 0; }

  // (Re)starts on the same port and data. Throws std::runtime_error when it does not come up
  // within 15 s (e.g. the port is taken).
  void start() {
    if (pid_ > 0)
      return;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log_file().c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                     0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    std::string exe = "/usr/bin/docker-registry", cmd = "serve", cfg = (dir_ / "config.yml");
    char* args[] = {exe.data(), cmd.data(), cfg.data(), nullptr};
    int rc = posix_spawn(&pid_, exe.c_str(), &fa, nullptr, args, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
      pid_ = -1;
      throw std::runtime_error("cannot start docker-registry");
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("docker-registry exited at start:\n" + log());
      }
      std::string code;
      std::vector<std::string> argv = {"curl", "-s",           "-o",         "/dev/null",
                                       "-w",   "%{http_code}", "--max-time", "1"};
      if (options_.tls)
        argv.push_back("-k");
      argv.push_back(url() + "/v2/");
      run_command(argv, &code, dir_.path());
      if (code == "200" || code == "401")
        return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    stop();
    throw std::runtime_error("docker-registry did not answer on " + url() + ":\n" + log());
  }

  // Stops the registry (SIGTERM; SIGKILL after 5 s). Idempotent.
  void stop() {
    if (pid_ <= 0)
      return;
    ::kill(pid_, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
  }

  // Requests the registry logged with `method` ("" for any) whose URI contains `uri_substring`
  // (each request once). Waits up to 2 s for the count to stop changing (the line follows the
  // answer).
  size_t count_requests(std::string_view method, std::string_view uri_substring) const {
    size_t n = count_now(method, uri_substring);
    for (int i = 0; i < 20; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      size_t again = count_now(method, uri_substring);
      if (again == n && i >= 2)
        break;
      n = again;
    }
    return n;
  }
  // Distinct client addresses ("127.0.0.1:46600") of the logged requests: the number of TCP
  // connections the registry served them on.
  std::set<std::string> client_addresses() const {
    std::set<std::string> out;
    std::istringstream in(log());
    for (std::string line; std::getline(in, line);) {
      if (is_request_line(line))
        out.insert(field(line, "http.request.remoteaddr"));
    }
    return out;
  }

  // curl's common arguments for this registry (TLS trust, credentials).
  std::vector<std::string> curl_args() const {
    std::vector<std::string> a = {"curl", "-sS", "--max-time", "600"};
    if (options_.tls) {
      a.push_back("--cacert");
      a.push_back(ca_file().string());
    }
    if (!options_.htpasswd_user.empty()) {
      a.push_back("-u");
      a.push_back(options_.htpasswd_user + ":" + options_.htpasswd_password);
    }
    return a;
  }

  // Pushes `bytes` as a blob of `repo`; returns its digest.
  std::string push_blob(const std::string& repo, std::string_view bytes) {
    auto file = dir_ / ("blob-" + std::to_string(counter_++));
    std::ofstream(file, std::ios::binary)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    std::string digest = push_blob_file(repo, file, sha256_digest(bytes));
    std::filesystem::remove(file);
    return digest;
  }
  // Pushes the bytes of `file` (streamed by curl, never held in memory) as a blob of `repo`;
  // returns its digest (computed from the file unless given).
  std::string push_blob_file(const std::string& repo, const std::filesystem::path& file,
                             std::string digest = {}) {
    if (digest.empty())
      digest = sha256_file_digest(file);
    auto args = curl_args();
    for (const char* a : {"-D", "-", "-o", "/dev/null", "-X", "POST"})
      args.push_back(a);
    args.push_back(url() + "/v2/" + repo + "/blobs/uploads/");
    std::string headers;
    if (run_command(args, &headers, dir_.path()) != 0)
      throw std::runtime_error("POST upload to " + repo + " failed");
    std::string location;
    std::istringstream in(headers);
    for (std::string line; std::getline(in, line);) {
      if (line.size() > 9 && strncasecmp(line.c_str(), "location:", 9) == 0) {
        location = line.substr(9);
        while (!location.empty() && (location.front() == ' '))
          location.erase(0, 1);
        while (!location.empty() && (location.back() == '\r' || location.back() == ' '))
          location.pop_back();
      }
    }
    if (location.empty())
      throw std::runtime_error("no upload Location from " + repo + ":\n" + headers);
    if (location.front() == '/')
      location = url() + location;
    location +=
        (location.find('?') == std::string::npos ? "?" : "&") + std::string("digest=") + digest;
    args = curl_args();
    for (const char* a : {"-f", "-o", "/dev/null", "-X", "PUT", "-H",
                          "Content-Type: application/octet-stream", "--data-binary"})
      args.push_back(a);
    args.push_back("@" + file.string());
    args.push_back(location);
    if (run_command(args, nullptr, dir_.path()) != 0)
      throw std::runtime_error("PUT blob " + digest + " to " + repo + " failed");
    return digest;
  }

  // Pushes a config blob, one layer blob per element of `layer_contents`, and an OCI image
  // manifest tagged `tag` (empty: pushed by digest only); returns the manifest digest.
  std::string push_image(const std::string& repo, const std::string& tag,
                         const std::vector<std::string>& layer_contents) {
    std::vector<std::pair<std::string, uint64_t>> layers;
    for (const auto& c : layer_contents)
      layers.emplace_back(push_blob(repo, c), c.size());
    return push_manifest_for(repo, tag, layers);
  }
  // The same with layers read from files (big layers: streamed, never in memory).
  std::string push_image_files(const std::string& repo, const std::string& tag,
                               const std::vector<std::filesystem::path>& layer_files) {
    std::vector<std::pair<std::string, uint64_t>> layers;
    for (const auto& f : layer_files)
      layers.emplace_back(push_blob_file(repo, f), std::filesystem::file_size(f));
    return push_manifest_for(repo, tag, layers);
  }
  // The manifest body push_image would build for these (digest, size) layers and config.
  static std::string image_manifest(const std::string& config_digest, uint64_t config_size,
                                    const std::vector<std::pair<std::string, uint64_t>>& layers) {
    std::string m =
        R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
        R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
        config_digest + R"(","size":)" + std::to_string(config_size) + R"(},"layers":[)";
    for (size_t i = 0; i < layers.size(); ++i) {
      m += (i ? "," : "");
      m += R"({"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":")" +
           layers[i].first + R"(","size":)" + std::to_string(layers[i].second) + "}";
    }
    return m + "]}";
  }
  // Pushes `body` as a manifest of `repo` under `reference` (a tag or its digest).
  void push_manifest(const std::string& repo, const std::string& reference, const std::string& body,
                     const std::string& media_type = "application/vnd.oci.image.manifest.v1+json") {
    auto file = dir_ / ("manifest-" + std::to_string(counter_++));
    std::ofstream(file, std::ios::binary) << body;
    auto args = curl_args();
    for (const char* a : {"-f", "-o", "/dev/null", "-X", "PUT", "-H"})
      args.push_back(a);
    args.push_back("Content-Type: " + media_type);
    args.push_back("--data-binary");
    args.push_back("@" + file.string());
    args.push_back(url() + "/v2/" + repo + "/manifests/" + reference);
    int rc = run_command(args, nullptr, dir_.path());
    std::filesystem::remove(file);
    if (rc != 0)
      throw std::runtime_error("PUT manifest " + repo + ":" + reference + " failed");
  }

  // Writes `size` random bytes to a new file under dir() (in 1 MiB pieces); returns its path.
  std::filesystem::path make_random_file(uint64_t size) {
    auto file = dir_ / ("random-" + std::to_string(counter_++));
    std::ofstream out(file, std::ios::binary);
    std::mt19937_64 rng(std::random_device{}());
    std::vector<uint64_t> buf(1 << 17);
    while (size > 0) {
      for (auto& w : buf)
        w = rng();
      uint64_t n = std::min<uint64_t>(size, buf.size() * 8);
      out.write(reinterpret_cast<const char*>(buf.data()), static_cast<std::streamsize>(n));
      size -= n;
    }
    if (!out)
      throw std::runtime_error("cannot write " + file.string());
    return file;
  }

 private:
  std::string push_manifest_for(const std::string& repo, const std::string& tag,
                                const std::vector<std::pair<std::string, uint64_t>>& layers) {
    std::string config =
        R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"n":)" +
        std::to_string(counter_++) + "}";
    std::string config_digest = push_blob(repo, config);
    std::string manifest = image_manifest(config_digest, config.size(), layers);
    std::string digest = sha256_digest(manifest);
    push_manifest(repo, tag.empty() ? digest : tag, manifest);
    return digest;
  }

  void write_config() const {
    std::ofstream c(dir_ / "config.yml");
    c << "version: 0.1\nlog:\n  level: info\n  formatter: text\n  accesslog:\n    disabled: true\n"
      << "storage:\n  filesystem:\n    rootdirectory: " << (dir_ / "data").string()
      << "\n  delete:\n    enabled: true\n"
      << "http:\n  addr: 127.0.0.1:" << port_ << "\n  secret: cairn-test-secret\n";
    if (options_.tls)
      c << "  tls:\n    certificate: " << (dir_ / "cert.pem").string()
        << "\n    key: " << (dir_ / "key.pem").string() << "\n";
    if (!options_.htpasswd_user.empty())
      c << "auth:\n  htpasswd:\n    realm: cairn-test\n    path: " << (dir_ / "htpasswd").string()
        << "\n";
    if (!options_.proxy_remote_url.empty()) {
      c << "proxy:\n  remoteurl: " << options_.proxy_remote_url << "\n";
      if (!options_.proxy_username.empty())
        c << "  username: " << options_.proxy_username
          << "\n  password: " << options_.proxy_password << "\n";
    }
  }

  // One line per request: the answer's, or the auth refusal's (no answer line then).
  static bool is_request_line(const std::string& line) {
    return line.find("msg=\"response completed") != std::string::npos ||
           line.find("msg=\"error authorizing context") != std::string::npos;
  }

  // The value of `key=` in a logfmt line (unquoted), or empty.
  static std::string field(const std::string& line, std::string_view key) {
    std::string needle = " " + std::string(key) + "=";
    size_t at = line.find(needle);
    if (at == std::string::npos)
      return {};
    size_t i = at + needle.size();
    std::string v;
    if (i < line.size() && line[i] == '"') {
      for (++i; i < line.size() && line[i] != '"'; ++i) {
        if (line[i] == '\\' && i + 1 < line.size())
          ++i;
        v += line[i];
      }
    } else {
      while (i < line.size() && line[i] != ' ')
        v += line[i++];
    }
    return v;
  }

  size_t count_now(std::string_view method, std::string_view uri_substring) const {
    size_t n = 0;
    std::istringstream in(log());
    for (std::string line; std::getline(in, line);) {
      if (!is_request_line(line))
        continue;
      if ((method.empty() || field(line, "http.request.method") == method) &&
          field(line, "http.request.uri").find(uri_substring) != std::string::npos)
        ++n;
    }
    return n;
  }

  UpstreamRegistryOptions options_;
  TempDir dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
  int counter_ = 0;
};

}  // namespace cairn::testing
