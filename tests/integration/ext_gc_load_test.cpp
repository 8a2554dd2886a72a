// Online GC under load: a thread runs POST /_admin/gc in a loop (and the scheduler runs too)
// while 8 clients push and pull images for 20 s, with a grace period of 0, so only references
// keep a blob. Each client pushes an image's blobs under a lease of its own, PUTs the manifest
// by tag and deletes the lease, as a careful client does; it also pushes garbage (blobs nobody
// refers to, some with the same bytes as live blobs of another repository), deletes some of its
// images, and pulls its live images back as it goes. Afterwards every live image pulls back
// byte-exact, and after one more collection every garbage blob is gone, and the blob tree holds
// exactly the files that records name.
#include "tests/support/http_client.h"
#include "tests/support/oci.h"
#include "tests/support/test_server.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace cairn::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr int kClients = 8;
constexpr auto kDuration = 20s;
constexpr size_t kMaxErrors = 20;  // per client: the first ones tell the story

struct PushedImage {
  std::string repo;
  std::string tag;
  std::string manifest;                // its bytes
  std::vector<std::string> blobs;      // config and layers
  std::vector<std::string> own_blobs;  // those no other image of the repository shares
};

struct BlobRef {
  std::string repo;
  std::string digest;
};

// What one client did: its live images, what it left for GC, what went wrong.
struct ClientLog {
  std::vector<PushedImage> live;
  std::vector<BlobRef> garbage;
  std::vector<std::string> errors;
  size_t pushes = 0;
  size_t pulls = 0;
  size_t deletes = 0;

  void error(std::string what) {
    if (errors.size() < kMaxErrors)
      errors.push_back(std::move(what));
  }
};

class Client {
 public:
  Client(uint16_t port, int index, ClientLog& log)
      : c_(port),
        index_(index),
        repo_("load/c" + std::to_string(index)),
        garbage_repo_("load/g" + std::to_string(index)),
        base_(blob_bytes(16 * 1024, 1000 + index)),
        rng_(index),
        log_(log) {}

  void run(const std::atomic<bool>& stop) {
    // The base layer's bytes also land, unreferenced, in the garbage repository: GC must drop
    // that record but keep the file the live repository still names.
    push(garbage_repo_, base_, {}, false);
    log_.garbage.push_back({garbage_repo_, digest_of(base_)});
    for (uint32_t k = 0; !stop.load(); ++k) {
      push_image(k);
      if (k % 3 == 1) {  // a blob nobody will ever refer to
        std::string junk = blob_bytes(1024 + rng_() % 8192, seed(k, 7));
        if (push(repo_, junk, {}, k % 2 == 0))
          log_.garbage.push_back({repo_, digest_of(junk)});
      }
      if (k % 4 == 3 && log_.live.size() > 2)
        delete_image(rng_() % (log_.live.size() - 1));
      pull(log_.live[rng_() % log_.live.size()]);
    }
  }

 private:
  uint32_t seed(uint32_t k, uint32_t part) const {
    return static_cast<uint32_t>(index_) * 1'000'003u + k * 16u + part;
  }

  // Pushes `data` to `repo` (with a lease when `lease` is set): one POST with ?digest=, or a
  // POST, two PATCHes and a PUT when `chunked`. Returns whether it got its 201.
  bool push(const std::string& repo, const std::string& data, const std::string& lease,
            bool chunked) {
    const std::string digest = digest_of(data);
    Headers h = {{"Content-Type", "application/octet-stream"}};
    if (!lease.empty())
      h.emplace_back("X-Cairn-Lease", lease);
    ++log_.pushes;
    if (!chunked) {
      auto r = c_.request("POST", "/v2/" + repo + "/blobs/uploads/?digest=" + digest, data, h);
      if (r.status != 201)
        log_.error("POST " + repo + " " + digest + ": " + std::to_string(r.status) + " " + r.body);
      return r.status == 201;
    }
    auto start = c_.request("POST", "/v2/" + repo + "/blobs/uploads/", {}, h);
    if (start.status != 202) {
      log_.error("start " + repo + ": " + std::to_string(start.status) + " " + start.body);
      return false;
    }
    const std::string location = start.header("location");
    const size_t half = data.size() / 2;
    Headers ranged = h;
    ranged.emplace_back("Content-Range", "0-" + std::to_string(half - 1));
    auto patch = c_.request("PATCH", location, data.substr(0, half), ranged);
    if (patch.status != 202) {
      log_.error("PATCH " + repo + ": " + std::to_string(patch.status) + " " + patch.body);
      return false;
    }
    auto put = c_.request("PUT", location + "?digest=" + digest, data.substr(half), h);
    if (put.status != 201) {
      log_.error("PUT " + repo + " " + digest + ": " + std::to_string(put.status) + " " + put.body);
    }
    return put.status == 201;
  }

  // An image: a config, the client's base layer and one or two layers of its own (1 KiB to
  // 64 KiB, 1 MiB every tenth image), pushed under a fresh lease; the manifest by tag; then
  // the lease goes.
  void push_image(uint32_t k) {
    auto lease = c_.request("POST", "/v2/" + repo_ + "/_leases", R"({"expire":"10m"})");
    if (lease.status != 201) {
      log_.error("lease: " + std::to_string(lease.status) + " " + lease.body);
      return;
    }
    const std::string id = json::parse(lease.body)["id"];

    const std::string config =
        json{{"architecture", "amd64"}, {"os", "linux"}, {"client", index_}, {"image", k}}.dump();
    std::vector<std::string> layers = {base_};
    const size_t own_layers = 1 + rng_() % 2;
    for (size_t j = 0; j < own_layers; ++j) {
      size_t size = k % 10 == 9 && j == 0 ? (1 << 20) : 1024 + rng_() % (64 * 1024);
      layers.push_back(blob_bytes(size, seed(k, static_cast<uint32_t>(j))));
    }
    bool ok = push(repo_, config, id, false);
    for (size_t j = 0; j < layers.size(); ++j)
      ok = push(repo_, layers[j], id, (k + j) % 3 == 0) && ok;

    PushedImage img;
    img.repo = repo_;
    img.tag = "t" + std::to_string(k);
    Desc config_desc{std::string(kOciConfigType), digest_of(config), config.size(), {}};
    std::vector<Desc> layer_descs;
    for (const auto& l : layers)
      layer_descs.push_back({std::string(kOciLayerType), digest_of(l), l.size(), {}});
    img.manifest = image_manifest(kOciManifestType, config_desc, layer_descs);
    img.blobs.push_back(config_desc.digest);
    img.own_blobs.push_back(config_desc.digest);
    for (size_t j = 0; j < layer_descs.size(); ++j) {
      img.blobs.push_back(layer_descs[j].digest);
      if (j > 0)
        img.own_blobs.push_back(layer_descs[j].digest);
    }
    if (ok) {
      auto put =
          c_.request("PUT", "/v2/" + repo_ + "/manifests/" + img.tag, img.manifest,
                     {{"Content-Type", std::string(kOciManifestType)}, {"X-Cairn-Lease", id}});
      if (put.status != 201) {
        log_.error("manifest " + img.tag + ": " + std::to_string(put.status) + " " + put.body);
        ok = false;
      }
    }
    auto del = c_.request("DELETE", "/v2/" + repo_ + "/_leases/" + id);
    if (del.status != 204)
      log_.error("lease delete: " + std::to_string(del.status) + " " + del.body);
    if (ok)
      log_.live.push_back(std::move(img));
  }

  // Untags and deletes image `i`: its own blobs and its manifest become garbage.
  void delete_image(size_t i) {
    PushedImage img = std::move(log_.live[i]);
    log_.live.erase(log_.live.begin() + static_cast<std::ptrdiff_t>(i));
    ++log_.deletes;
    const std::string digest = digest_of(img.manifest);
    auto untag = c_.request("DELETE", "/v2/" + repo_ + "/manifests/" + img.tag);
    auto del = c_.request("DELETE", "/v2/" + repo_ + "/manifests/" + digest);
    if (untag.status != 202 || del.status != 202) {
      log_.error("delete " + img.tag + ": " + std::to_string(untag.status) + "/" +
                 std::to_string(del.status) + " " + del.body);
      return;
    }
    for (const auto& b : img.own_blobs)
      log_.garbage.push_back({repo_, b});
    log_.garbage.push_back({repo_, digest});
  }

  void pull(const PushedImage& img) {
    ++log_.pulls;
    auto m = c_.request("GET", "/v2/" + img.repo + "/manifests/" + img.tag, {},
                        {{"Accept", std::string(kOciManifestType)}});
    if (m.status != 200 || m.body != img.manifest) {
      log_.error("pull " + img.repo + ":" + img.tag + ": " + std::to_string(m.status) + " " +
                 m.body.substr(0, 200));
      return;
    }
    for (const auto& d : img.blobs) {
      auto b = c_.request("GET", "/v2/" + img.repo + "/blobs/" + d);
      if (b.status != 200 || digest_of(b.body) != d) {
        log_.error("pull " + img.repo + "@" + d + " of " + img.tag + ": " +
                   std::to_string(b.status) + " " + b.body.substr(0, 200));
      }
    }
  }

  HttpClient c_;
  int index_;
  std::string repo_;
  std::string garbage_repo_;
  std::string base_;
  std::mt19937 rng_;
  ClientLog& log_;
};

// The figures of the collections run during the load.
struct GcLog {
  size_t runs = 0;
  size_t under_lock = 0;
  double total_ms = 0;
  double max_ms = 0;
  double max_paused_ms = 0;
  double total_paused_ms = 0;
  size_t removed_blobs = 0;
  size_t removed_files = 0;
  std::vector<std::string> errors;
};

TEST(ExtGcLoad, ImagesSurviveAndGarbageGoesWhileGcRunsInALoop) {
  handlers::ServiceOptions options;
  options.storage.gc.grace = 0ns;
  TestServer srv(server::ServerOptions{}, options);

  std::atomic<bool> stop{false};
  GcLog gc;
  std::thread collector([&] {
    HttpClient c(srv.port());
    while (!stop.load()) {
      auto r = c.request("POST", "/_admin/gc");
      if (r.status != 200) {
        if (gc.errors.size() < kMaxErrors)
          gc.errors.push_back(std::to_string(r.status) + " " + r.body);
        continue;
      }
      auto j = json::parse(r.body);
      ++gc.runs;
      const double ms = j["durationMs"];
      const double paused = j["pausedMs"];
      gc.total_ms += ms;
      gc.max_ms = std::max(gc.max_ms, ms);
      gc.total_paused_ms += paused;
      gc.max_paused_ms = std::max(gc.max_paused_ms, paused);
      gc.removed_blobs += j["removedBlobs"].get<size_t>();
      gc.removed_files += j["removedFiles"].get<size_t>();
    }
  });

  std::vector<ClientLog> logs(kClients);
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      Client client(srv.port(), i, logs[i]);
      client.run(stop);
    });
  }
  std::this_thread::sleep_for(kDuration);  // the load's length, not a wait for a condition
  stop = true;
  for (auto& t : clients)
    t.join();
  collector.join();

  size_t pushes = 0, pulls = 0, deletes = 0, live = 0, garbage = 0;
  for (int i = 0; i < kClients; ++i) {
    for (const auto& e : logs[i].errors)
      ADD_FAILURE() << "client " << i << ": " << e;
    pushes += logs[i].pushes;
    pulls += logs[i].pulls;
    deletes += logs[i].deletes;
    live += logs[i].live.size();
    garbage += logs[i].garbage.size();
  }
  for (const auto& e : gc.errors)
    ADD_FAILURE() << "POST /_admin/gc: " << e;
  std::cout << "[ figures  ] " << kClients << " clients, " << pushes << " blob pushes, " << pulls
            << " image pulls, " << deletes << " image deletes; " << live << " live images, "
            << garbage << " garbage blobs\n"
            << "[ figures  ] " << gc.runs << " collections by hand: mean "
            << (gc.runs ? gc.total_ms / static_cast<double>(gc.runs) : 0) << " ms, max "
            << gc.max_ms << " ms; writers held mean "
            << (gc.runs ? gc.total_paused_ms / static_cast<double>(gc.runs) : 0) << " ms, max "
            << gc.max_paused_ms << " ms; removed " << gc.removed_blobs << " records, "
            << gc.removed_files << " files\n";
  EXPECT_GT(gc.runs, 0u);

  // Every live image pulls back byte-exact.
  HttpClient c(srv.port());
  for (const auto& log : logs) {
    EXPECT_GT(log.live.size(), 0u);
    for (const auto& img : log.live) {
      auto m = c.request("GET", "/v2/" + img.repo + "/manifests/" + img.tag, {},
                         {{"Accept", std::string(kOciManifestType)}});
      EXPECT_EQ(m.status, 200u) << img.repo << ":" << img.tag;
      EXPECT_EQ(digest_of(m.body), digest_of(img.manifest)) << img.repo << ":" << img.tag;
      for (const auto& d : img.blobs) {
        auto b = c.request("GET", "/v2/" + img.repo + "/blobs/" + d);
        EXPECT_EQ(b.status, 200u) << img.repo << "@" << d;
        EXPECT_EQ(digest_of(b.body), d) << img.repo << "@" << d;
      }
    }
  }

  // One more collection, and every garbage blob is gone.
  auto last = c.request("POST", "/_admin/gc");
  ASSERT_EQ(last.status, 200u) << last.body;
  std::cout << "[ figures  ] final collection: " << last.body << "\n";
  for (const auto& log : logs) {
    for (const auto& g : log.garbage) {
      EXPECT_EQ(c.request("HEAD", "/v2/" + g.repo + "/blobs/" + g.digest).status, 404u)
          << g.repo << "@" << g.digest;
    }
  }
  // ... and the live ones are all still there.
  for (const auto& log : logs) {
    for (const auto& img : log.live) {
      for (const auto& d : img.blobs)
        EXPECT_EQ(c.request("HEAD", "/v2/" + img.repo + "/blobs/" + d).status, 200u) << d;
    }
  }

  // The blob tree holds exactly the files that some namespace's record names.
  std::set<std::string> recorded;
  Storage& storage = srv.service().storage();
  auto names = storage.namespaces().list();
  ASSERT_TRUE(names) << names.error().detail;
  for (const auto& ns : names->names) {
    auto walked = storage.content().walk({ns, {}},
                                         [&](const content::Info& info) {
                                           recorded.insert(std::string(info.digest.hex()));
                                           return true;
                                         },
                                         {});
    ASSERT_TRUE(walked) << walked.error().detail;
  }
  std::set<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(srv.root() / "content/blobs/sha256"))
    files.insert(e.path().filename().string());
  EXPECT_EQ(files, recorded);
}

}  // namespace
}  // namespace cairn::testing
