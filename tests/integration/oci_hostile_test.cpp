// Hostile input against the real server: malformed names, digests, references, upload ids,
// Content-Range headers and manifests; path traversal through every path parameter (plain,
// percent-encoded, with encoded NUL); oversized headers and manifests. Every case must be
// answered with a 4xx OCI error, touch nothing outside the data root, and leave the server
// answering GET /v2/.
#include "tests/support/http_client.h"
#include "tests/support/oci.h"
#include "tests/support/test_server.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

namespace cairn::testing {
namespace {

namespace fs = std::filesystem;

// A fingerprint of every file under `dir` except `skip`: path → size and modification time.
std::map<std::string, std::string> snapshot(const fs::path& dir, const fs::path& skip) {
  std::map<std::string, std::string> out;
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator();
       ++it) {
    if (it->path() == skip) {
      it.disable_recursion_pending();
      continue;
    }
    std::error_code ec;
    auto size = it->is_regular_file() ? it->file_size() : 0;
    auto time = fs::last_write_time(it->path(), ec).time_since_epoch().count();
    out[it->path().string()] = std::to_string(size) + "@" + std::to_string(time);
  }
  return out;
}

// Every file name under `dir`.
std::vector<std::string> names_under(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    out.push_back(e.path().filename().string());
  return out;
}

// The server runs on <tmp>/root; <tmp>/etc/passwd and <tmp>/victim are what a traversal would
// reach for. They and everything else outside the root must stay as they were.
class OciHostile : public ::testing::Test {
 protected:
  OciHostile() {
    fs::create_directories(outer_.path() / "etc");
    std::ofstream(outer_.path() / "etc" / "passwd") << "root:x:0:0\n";
    std::ofstream(outer_.path() / "victim") << "do not touch\n";
    srv_ = std::make_unique<TestServer>(outer_.path() / "root");
    c_ = std::make_unique<HttpClient>(srv_->port());
    blob_ = push_blob(*c_, "lib/app", "a blob to aim at");
    auto post = c_->request("POST", "/v2/lib/app/blobs/uploads/");
    upload_ = post.header("location");
    before_ = snapshot(outer_.path(), outer_.path() / "root");
  }

  void TearDown() override {
    EXPECT_EQ(snapshot(outer_.path(), outer_.path() / "root"), before_);
    for (const auto& name : names_under(outer_.path() / "root")) {
      EXPECT_NE(name, "passwd");
      EXPECT_NE(name, "victim");
    }
  }

  // Sends one request and checks the answer is a 4xx with an OCI error body (HEAD: no body),
  // then that the server still answers GET /v2/ on a new connection.
  HttpResult expect_4xx(const std::string& method, const std::string& target,
                        const std::string& body = {},
                        const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    HttpClient c(srv_->port());
    HttpResult r = c.request(method, target, body, headers);
    EXPECT_GE(r.status, 400u) << method << " " << target << " " << r.body;
    EXPECT_LT(r.status, 500u) << method << " " << target << " " << r.body;
    if (method != "HEAD") {
      EXPECT_NE(error_code(r), "<none>") << method << " " << target << " " << r.body;
    }
    expect_alive();
    return r;
  }

  void expect_alive() {
    HttpClient fresh(srv_->port());
    EXPECT_EQ(fresh.request("GET", "/v2/").status, 200u);
  }

  TempDir outer_;
  std::unique_ptr<TestServer> srv_;
  std::unique_ptr<HttpClient> c_;
  std::string blob_;
  std::string upload_;
  std::map<std::string, std::string> before_;
};

// --- Names ----------------------------------------------------------------------------------

TEST_F(OciHostile, MalformedNamesAreNameInvalidOnEveryEndpoint) {
  const std::string names[] = {
      "Lib/App",
      "UPPER",
      "..",
      "lib/..",
      "../lib",
      "lib/../app",
      "%2e%2e",
      "lib/%2E%2E",
      "lib/./app",
      "-lib",
      "lib-",
      "lib_",
      "lib___app",
      "lib..app",
      "lib/.hidden",
      "lib%20app",
      "lib%2Fapp%2F",
      std::string(300, 'a'),
      "lib/" + std::string(260, 'b'),
      "l%C3%A9b",
      "lib%09app",
      "lib:app",
      "lib@app",
      "lib%5Capp",
  };
  for (const auto& name : names) {
    SCOPED_TRACE(name);
    const std::string base = "/v2/" + name;
    for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
             {"GET", base + "/tags/list"},
             {"GET", base + "/blobs/" + blob_},
             {"HEAD", base + "/blobs/" + blob_},
             {"DELETE", base + "/blobs/" + blob_},
             {"POST", base + "/blobs/uploads/"},
             {"POST", base + "/blobs/uploads/?digest=" + digest_of("x")},
             {"GET", base + "/blobs/uploads/0b6c41f6-3f6c-4c2e-9d0c-7d4b2d1f0aaa"},
             {"PUT", base + "/manifests/latest"},
             {"GET", base + "/manifests/latest"},
             {"DELETE", base + "/manifests/latest"},
             {"GET", base + "/referrers/" + blob_},
         }) {
      auto r = expect_4xx(method, target, method == "POST" ? "x" : "");
      // Unroutable shapes (a trailing '/', an empty segment) are NOT_FOUND; the rest NAME_INVALID.
      if (method != "HEAD" && r.status == 400u) {
        EXPECT_EQ(error_code(r), "NAME_INVALID") << method << " " << target;
      }
    }
  }
}

TEST_F(OciHostile, LeadingSlashOrEmptySegmentIsNotFound) {
  for (const std::string target :
       {"/v2//lib/tags/list", "/v2/lib//app/tags/list", "//v2/lib/tags/list", "/v2///tags/list"}) {
    auto r = expect_4xx("GET", target);
    EXPECT_EQ(r.status, 404u) << target;
  }
}

// --- Path traversal through each path parameter ---------------------------------------------

TEST_F(OciHostile, TraversalThroughEveryPathParameter) {
  const std::string uuid = upload_.substr(upload_.rfind('/') + 1);
  const std::string bad[] = {
      "..",
      "../../etc/passwd",
      "..%2F..%2Fetc%2Fpasswd",
      "..%2f..%2f..%2fvictim",
      "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
      "%2E%2E",
      "%00",
      "etc%00passwd",
      "sha256:..%2F..%2Fetc",
      "sha256%3A..",
      "%2Fetc%2Fpasswd",
      "....//....//etc",
      "%252e%252e%252fetc",
      "%",
      "%zz",
      "a%0d%0aX-Injected:%201",
  };
  for (const auto& p : bad) {
    SCOPED_TRACE(p);
    const std::vector<std::pair<std::string, std::string>> requests = {
        // name
        {"GET", "/v2/" + p + "/tags/list"},
        {"GET", "/v2/lib/" + p + "/blobs/" + blob_},
        {"POST", "/v2/" + p + "/blobs/uploads/"},
        {"PUT", "/v2/" + p + "/manifests/latest"},
        // digest
        {"GET", "/v2/lib/app/blobs/" + p},
        {"HEAD", "/v2/lib/app/blobs/" + p},
        {"DELETE", "/v2/lib/app/blobs/" + p},
        {"GET", "/v2/lib/app/referrers/" + p},
        {"GET", "/v2/lib/app/blobs/sha256:" + p},
        // reference
        {"GET", "/v2/lib/app/manifests/" + p},
        {"PUT", "/v2/lib/app/manifests/" + p},
        {"DELETE", "/v2/lib/app/manifests/" + p},
        // upload id
        {"GET", "/v2/lib/app/blobs/uploads/" + p},
        {"PATCH", "/v2/lib/app/blobs/uploads/" + p},
        {"PUT", "/v2/lib/app/blobs/uploads/" + p + "?digest=" + digest_of("x")},
        {"DELETE", "/v2/lib/app/blobs/uploads/" + p},
        {"PATCH", "/v2/lib/app/blobs/uploads/" + uuid + p},
        // query parameters
        {"POST", "/v2/lib/app/blobs/uploads/?mount=" + p + "&from=lib/app"},
        {"POST", "/v2/lib/app2/blobs/uploads/?mount=" + blob_ + "&from=" + p},
        {"POST", "/v2/lib/app/blobs/uploads/?digest=" + p},
        {"PUT", upload_ + "?digest=" + p},
        {"GET", "/v2/_catalog?last=" + p},
    };
    for (const auto& [method, target] : requests) {
      std::string body =
          method == "PUT" && target.find("/manifests/") != std::string::npos
              ? std::string(R"({"schemaVersion":2,"config":{}})")
              : (method == "GET" || method == "HEAD" || method == "DELETE" ? "" : "x");
      HttpClient c(srv_->port());
      HttpResult r = c.request(method, target, body);
      // A query value that is no repository name may simply be ignored (a `from` that names
      // nothing mounts nothing; a catalog `last` past everything lists nothing): only paths
      // must be refused.
      bool query_only = target.find('?') != std::string::npos && target.find(p) > target.find('?');
      if (query_only) {
        EXPECT_LT(r.status, 500u) << method << " " << target << " " << r.body;
      } else {
        EXPECT_GE(r.status, 400u) << method << " " << target << " " << r.body;
        EXPECT_LT(r.status, 500u) << method << " " << target << " " << r.body;
        if (method != "HEAD") {
          EXPECT_NE(error_code(r), "<none>") << method << " " << target << " " << r.body;
        }
      }
      EXPECT_TRUE(r.header("x-injected").empty());
    }
    expect_alive();
  }
  // The upload aimed at survived all of it.
  EXPECT_EQ(c_->request("GET", upload_).status, 204u);
  EXPECT_EQ(c_->request("GET", "/v2/lib/app/blobs/" + blob_).body, "a blob to aim at");
}

TEST_F(OciHostile, LongUploadIdAndReferenceAreRefused) {
  expect_4xx("GET", "/v2/lib/app/blobs/uploads/" + std::string(2000, 'u'));
  expect_4xx("PATCH", "/v2/lib/app/blobs/uploads/" + std::string(2000, 'u'), "x");
  auto tag = expect_4xx("PUT", "/v2/lib/app/manifests/" + std::string(129, 't'), "{}");
  EXPECT_EQ(tag.status, 400u);
  // A read of a reference that cannot exist is unknown (the conformance suite's expectation).
  auto dot = expect_4xx("GET", "/v2/lib/app/manifests/.tag");
  EXPECT_EQ(dot.status, 404u);
  EXPECT_EQ(error_code(dot), "MANIFEST_UNKNOWN");
}

// --- Digests --------------------------------------------------------------------------------

TEST_F(OciHostile, MalformedDigestsAreDigestInvalid) {
  const std::string hex = std::string(blob_).substr(7);
  const std::string bad[] = {
      "sha256",
      "sha256:",
      "sha256:abc",
      "sha256:" + hex + "0",
      "sha256:" + hex.substr(1),
      "SHA256:" + hex,
      "sha256:" + std::string(64, 'G'),
      "sha256:" + std::string(64, 'A'),
      "md5:d41d8cd98f00b204e9800998ecf8427e",
      "sha512:" + hex,
      ":" + hex,
      "sha256::" + hex,
      "sha256:" + hex + ":x",
      std::string(5000, 'a') + ":" + hex,
  };
  for (const auto& d : bad) {
    SCOPED_TRACE(d.substr(0, 80));
    for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
             {"GET", "/v2/lib/app/blobs/" + d},
             {"DELETE", "/v2/lib/app/blobs/" + d},
             {"GET", "/v2/lib/app/referrers/" + d},
             {"POST", "/v2/lib/app/blobs/uploads/?digest=" + d},
             {"POST", "/v2/lib/other/blobs/uploads/?mount=" + d + "&from=lib/app"},
             {"PUT", upload_ + "?digest=" + d},
         }) {
      auto r = expect_4xx(method, target, method == "GET" || method == "DELETE" ? "" : "x");
      EXPECT_EQ(r.status, 400u) << method << " " << target;
      EXPECT_EQ(error_code(r), "DIGEST_INVALID") << method << " " << target;
    }
    if (d.find(':') != std::string::npos) {  // a reference with ':' is a digest
      auto r = expect_4xx("GET", "/v2/lib/app/manifests/" + d);
      EXPECT_EQ(error_code(r), "DIGEST_INVALID");
    }
  }
}

// --- Content-Range --------------------------------------------------------------------------

TEST_F(OciHostile, MalformedContentRangeLeavesTheUploadAsItWas) {
  ASSERT_EQ(c_->request("PATCH", upload_, "0123456789").status, 202u);  // offset 10
  struct Case {
    std::string content_range;
    std::string body;
  };
  const Case cases[] = {
      {"abc", "x"},
      {"10-", "x"},
      {"-10", "x"},
      {"10", "x"},
      {"11-10", "x"},
      {"10--11", "xx"},
      {"0-9", "0123456789"},             // replays bytes already there
      {"11-11", "x"},                    // leaves a gap
      {"10-19", "x"},                    // Content-Length 1, range of 10
      {"10-99999999999999999999", "x"},  // beyond any number
      {"10-18446744073709551615", "x"},  // the largest offset, length overflows
      {"bytes=10-10/abc", "x"},
      {"10-10 garbage", "x"},
      {"\t", "x"},
  };
  for (const auto& tc : cases) {
    SCOPED_TRACE(tc.content_range);
    auto r = expect_4xx("PATCH", upload_, tc.body, {{"Content-Range", tc.content_range}});
    EXPECT_TRUE(r.status == 400u || r.status == 416u) << r.status;
    EXPECT_EQ(error_code(r), r.status == 416u ? "RANGE_INVALID" : "BLOB_UPLOAD_INVALID");
    auto status = c_->request("GET", upload_);
    EXPECT_EQ(status.header("range"), "0-9");
  }
  // And a PUT's final chunk is checked the same way.
  auto put = expect_4xx("PUT", upload_ + "?digest=" + digest_of("0123456789x"), "x",
                        {{"Content-Range", "12-12"}});
  EXPECT_EQ(put.status, 416u);
  EXPECT_EQ(c_->request("GET", upload_).header("range"), "0-9");
  auto ok = c_->request("PUT", upload_ + "?digest=" + digest_of("0123456789x"), "x",
                        {{"Content-Range", "10-10"}});
  EXPECT_EQ(ok.status, 201u) << ok.body;
}

// --- Manifests ------------------------------------------------------------------------------

TEST_F(OciHostile, OversizedManifestIs413) {
  const std::string huge = "{\"schemaVersion\":2,\"pad\":\"" + std::string(5 << 20, 'p') + "\"}";
  auto r = expect_4xx("PUT", "/v2/lib/app/manifests/huge", huge,
                      {{"Content-Type", std::string(kOciManifestType)}});
  EXPECT_EQ(r.status, 413u);
  EXPECT_EQ(error_code(r), "BODY_TOO_LARGE");
  EXPECT_EQ(c_->request("GET", "/v2/lib/app/manifests/huge").status, 404u);
}

TEST_F(OciHostile, OversizedChunkedManifestIs413) {
  // No Content-Length: the limit is found while reading.
  std::string req = "PUT /v2/lib/app/manifests/huge HTTP/1.1\r\nHost: x\r\nContent-Type: " +
                    std::string(kOciManifestType) + "\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string piece(64 * 1024, 'p');
  char size_line[32];
  std::snprintf(size_line, sizeof size_line, "%zx\r\n", piece.size());
  for (int i = 0; i < 80; ++i)  // 5 MiB
    req += size_line + piece + "\r\n";
  req += "0\r\n\r\n";
  HttpClient raw(srv_->port());
  std::string reply = raw.raw_then_hangup(req);
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 413")) << reply.substr(0, 60);
  expect_alive();
  EXPECT_EQ(c_->request("GET", "/v2/lib/app/manifests/huge").status, 404u);
}

TEST_F(OciHostile, ManifestsThatAreNotManifests) {
  const std::string bodies[] = {
      "",
      "null",
      "\"string\"",
      "{",
      std::string(100'000, '['),  // deep nesting
      R"({"schemaVersion":2,"config":{"digest":"../../etc/passwd","size":1},"layers":[]})",
      R"({"schemaVersion":2,"config":{"digest":"sha256:..","size":1},"layers":[]})",
      R"({"schemaVersion":2,"config":)" + std::string("{\"digest\":\"") + blob_ +
          R"(","size":1e400},"layers":[]})",
      std::string(R"({"schemaVersion":2,"mediaType":")") + '\0' + "\"}",
      "\xff\xfe{\"schemaVersion\":2}",
  };
  for (const auto& body : bodies) {
    SCOPED_TRACE(body.substr(0, 60));
    auto r = expect_4xx("PUT", "/v2/lib/app/manifests/bad", body,
                        {{"Content-Type", std::string(kOciManifestType)}});
    EXPECT_EQ(r.status, 400u);
    EXPECT_EQ(error_code(r), "MANIFEST_INVALID");
  }
  auto unknown = expect_4xx("PUT", "/v2/lib/app/manifests/bad", R"({"schemaVersion":2})",
                            {{"Content-Type", "text/html"}});
  EXPECT_EQ(error_code(unknown), "MANIFEST_INVALID");
}

// --- Headers and framing --------------------------------------------------------------------

TEST_F(OciHostile, OversizedHeadersAre431) {
  const std::string requests[] = {
      "GET /v2/ HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(100'000, 'a') + "\r\n\r\n",
      [] {
        std::string r = "GET /v2/ HTTP/1.1\r\nHost: x\r\n";
        for (int i = 0; i < 8000; ++i)
          r += "X-H" + std::to_string(i) + ": v\r\n";
        return r + "\r\n";
      }(),
      "GET /v2/" + std::string(100'000, 'a') + "/tags/list HTTP/1.1\r\nHost: x\r\n\r\n",
  };
  for (const auto& req : requests) {
    HttpClient raw(srv_->port());
    std::string reply = raw.raw_then_hangup(req);
    EXPECT_TRUE(reply.starts_with("HTTP/1.1 431")) << reply.substr(0, 60);
    expect_alive();
  }
}

TEST_F(OciHostile, BrokenFramingIs400) {
  const std::string requests[] = {
      "PATCH " + upload_ + " HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
      "PATCH " + upload_ + " HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
      "PATCH " + upload_ +
          " HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx",
      "PATCH " + upload_ + " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "GET /v2/ HTTP/9.9\r\nHost: x\r\n\r\n",
      std::string("GET /v2/") + '\0' + " HTTP/1.1\r\nHost: x\r\n\r\n",
  };
  for (const auto& req : requests) {
    HttpClient raw(srv_->port());
    std::string reply = raw.raw_then_hangup(req);
    EXPECT_TRUE(reply.starts_with("HTTP/1.1 400")) << reply.substr(0, 60);
    expect_alive();
  }
  // A chunked upload that breaks its framing halfway is the client's fault (400, not 503).
  HttpClient raw(srv_->port());
  std::string reply = raw.raw_then_hangup(
      "PATCH " + upload_ +
      " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n");
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 400")) << reply.substr(0, 60);
  EXPECT_NE(reply.find("BLOB_UPLOAD_INVALID"), std::string::npos) << reply;
  // What arrived of the upload, if anything, stays an upload.
  EXPECT_EQ(c_->request("GET", upload_).status, 204u);
}

}  // namespace
}  // namespace cairn::testing
