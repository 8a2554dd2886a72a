// /_admin/fsck against the real server: a check in the background, its report, a flipped byte
// found and repaired online, a re-push that heals it, one check at a time (409 while the
// scrub runs), and the scrub's report and log lines.
#include "tests/support/http_client.h"
#include "tests/support/oci.h"
#include "tests/support/test_server.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

namespace cairn::testing {
namespace {

using nlohmann::json;

void flip_first_byte(const std::filesystem::path& p) {
  ASSERT_EQ(::chmod(p.c_str(), 0644), 0);
  std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
  char c = 0;
  f.get(c);
  f.seekp(0);
  f.put(static_cast<char>(c ^ 0x20));
  f.close();
  ASSERT_EQ(::chmod(p.c_str(), 0444), 0);
}

std::filesystem::path blob_file(const std::filesystem::path& root, const std::string& digest) {
  return root / "content" / "blobs" / "sha256" / digest.substr(7);
}

class ExtFsck : public ::testing::Test {
 protected:
  static handlers::ServiceOptions options() {
    handlers::ServiceOptions o;
    o.start_gc_scheduler = false;
    return o;
  }

  // Starts a check, waits for it and returns GET's report.
  json check(const std::string& query = "") {
    auto r = c_.request("POST", "/_admin/fsck" + query);
    EXPECT_EQ(r.status, 202u) << r.body;
    EXPECT_EQ(r.header("location"), "/_admin/fsck");
    EXPECT_EQ(body_of(r)["trigger"], "admin");
    srv_.service().fsck().wait_idle();
    auto g = c_.request("GET", "/_admin/fsck");
    EXPECT_EQ(g.status, 200u) << g.body;
    return body_of(g);
  }

  TestServer srv_{server::ServerOptions{}, options()};
  HttpClient c_{srv_.port()};
};

TEST_F(ExtFsck, NoReportBeforeTheFirstCheck) {
  auto r = c_.request("GET", "/_admin/fsck");
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(error_code(r), "NOT_FOUND");
}

TEST_F(ExtFsck, BadRepairValueIs400) {
  auto r = c_.request("POST", "/_admin/fsck?repair=maybe");
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(error_code(r), "REQUEST_INVALID");
}

TEST_F(ExtFsck, FlippedByteIsFoundRepairedOnlineAndHealedByARepush) {
  const std::string data = blob_bytes(100'000, 7);
  const std::string digest = push_blob(c_, "fsck/one", data);
  json clean = check();
  EXPECT_EQ(clean["state"], "done") << clean.dump();
  EXPECT_EQ(clean["findings"].size(), 0u);
  EXPECT_EQ(clean["progress"]["bytesHashed"], 100'000);

  flip_first_byte(blob_file(srv_.root(), digest));
  json found = check();
  ASSERT_EQ(found["findings"].size(), 1u) << found.dump();
  EXPECT_EQ(found["findings"][0]["kind"], "corrupt");
  EXPECT_EQ(found["findings"][0]["digest"], digest);
  EXPECT_EQ(found["findings"][0]["namespaces"], json::array({"fsck/one"}));

  json repaired = check("?repair=true");
  EXPECT_EQ(repaired["repair"], true);
  ASSERT_EQ(repaired["findings"].size(), 1u) << repaired.dump();
  EXPECT_EQ(repaired["findings"][0]["repaired"], true);
  EXPECT_EQ(repaired["counts"]["repaired"], 1);
  // The bad bytes are no longer served: the blob is unknown until pushed again.
  auto head = c_.request("HEAD", "/v2/fsck/one/blobs/" + digest);
  EXPECT_EQ(head.status, 404u);
  EXPECT_FALSE(std::filesystem::exists(blob_file(srv_.root(), digest)));
  EXPECT_TRUE(std::filesystem::is_directory(srv_.root() / "quarantine" / "sha256"));

  push_blob(c_, "fsck/one", data);
  auto get = c_.request("GET", "/v2/fsck/one/blobs/" + digest);
  EXPECT_EQ(get.status, 200u);
  EXPECT_EQ(get.body, data);
  json healed = check();
  EXPECT_EQ(healed["findings"].size(), 0u) << healed.dump();
}

// The scrub, slowed to 4 KiB/s over a 256 KiB blob, holds the one check slot for a minute.
class ExtFsckScrub : public ::testing::Test {
 protected:
  handlers::ServiceOptions options() {
    handlers::ServiceOptions o;
    o.start_gc_scheduler = false;
    o.fsck.scrub_interval = std::chrono::milliseconds(1);
    o.fsck.scrub_rate = 4096;
    o.fsck.log = [this](const std::string& line) {
      std::lock_guard lock(mu_);
      lines_.push_back(line);
    };
    return o;
  }

  std::vector<std::string> lines() {
    std::lock_guard lock(mu_);
    return lines_;
  }

  std::mutex mu_;
  std::vector<std::string> lines_;
  TestServer srv_{server::ServerOptions{}, options()};
  HttpClient c_{srv_.port()};
};

TEST_F(ExtFsckScrub, ScrubReportsAndLogsFindingsAndHoldsTheSlot) {
  // A small corrupt blob first, hashed at once by the next scrub and logged.
  const std::string small = push_blob(c_, "scrub/a", "small bytes");
  flip_first_byte(blob_file(srv_.root(), small));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  auto logged = [&] {
    for (const std::string& l : lines()) {
      auto j = json::parse(l, nullptr, false);
      if (j.is_object() && j["event"] == "fsck_finding" && j["digest"] == small)
        return j;
    }
    return json();
  };
  json line;
  while ((line = logged()).is_null() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_FALSE(line.is_null()) << "no scrub finding logged";
  EXPECT_EQ(line["kind"], "corrupt");
  EXPECT_EQ(line["trigger"], "scrub");
  EXPECT_TRUE(line["time"].is_string());

  // Then a big one: a scrub is soon busy hashing it slowly.
  push_blob(c_, "scrub/a", blob_bytes(256 << 10, 3));
  json report;
  while (std::chrono::steady_clock::now() < deadline) {
    report = body_of(c_.request("GET", "/_admin/fsck"));
    if (report["trigger"] == "scrub" && report["state"] == "running" &&
        report["progress"]["bytesTotal"].get<int64_t>() > (256 << 10))
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(report["state"], "running") << report.dump();
  EXPECT_EQ(report["repair"], false);
  auto busy = c_.request("POST", "/_admin/fsck");
  EXPECT_EQ(busy.status, 409u) << busy.body;
  EXPECT_EQ(error_code(busy), "CONFLICT");
  // The server stops without waiting for the scrub: stop() cancels it.
}

}  // namespace
}  // namespace cairn::testing
