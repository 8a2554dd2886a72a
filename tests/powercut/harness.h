// A cairn server in-process whose content store and metadata database run over the power-cut
// model (tests/support/power_cut.h): its data root and the model's trash live in one temporary
// directory, and the server can be stopped, rewound to what a power cut keeps, and started again
// on the same root.
#pragma once

#include "handlers/service.h"
#include "storage/metadata/keys.h"
#include "tests/support/fault_env.h"
#include "tests/support/fault_fs.h"
#include "tests/support/power_cut.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_server.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <set>
#include <string>

namespace cairn::testing {

class PowerCutHarness {
 public:
  explicit PowerCutHarness(bool sync_metadata = true) : sync_(sync_metadata) {}

  // Starts the server (it must be stopped).
  void start() {
    handlers::ServiceOptions so;
    so.storage.fs = &fs_;
    so.storage.env = &env_;
    so.storage.sync_metadata = sync_;
    so.start_gc_scheduler = false;
    server_ = std::make_unique<TestServer>(root_, server::ServerOptions{}, so);
  }
  // Stops the server (closing the stores).
  void stop() { server_.reset(); }
  // Stops the server, rewinds the disk to what survives a power cut, and starts it again.
  PowerCut::Dropped power_cycle() {
    stop();
    auto dropped = model_.drop_unsynced(root_);
    start();
    return dropped;
  }

  PowerCut& model() { return model_; }
  FaultFileSystem& fs() { return fs_; }
  TestServer& server() { return *server_; }
  Storage& storage() { return server_->service().storage(); }
  uint16_t port() { return server_->port(); }
  const std::filesystem::path& root() const { return root_; }

  // Every digest with a blob record in any namespace.
  std::set<std::string> blob_records() {
    std::set<std::string> out;
    auto r = storage().db().scan(metadata::keys::schema_prefix(), "",
                                 [&](std::string_view key, std::string_view) {
                                   auto k = metadata::keys::parse(key);
                                   if (k && k->kind == metadata::keys::KeyKind::blob)
                                     out.insert(k->name);
                                   return true;
                                 });
    EXPECT_TRUE(r.has_value());
    return out;
  }
  // Every file of the blob tree, as "<alg>:<name>".
  std::set<std::string> blob_files() const {
    std::set<std::string> out;
    for (const char* alg : {"sha256", "sha512"}) {
      auto dir = root_ / "content" / "blobs" / alg;
      std::error_code ec;
      for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end;
           it.increment(ec)) {
        out.insert(std::string(alg) + ":" + it->path().filename().string());
      }
    }
    return out;
  }
  std::filesystem::path blob_path(const std::string& digest) const {
    auto colon = digest.find(':');
    return root_ / "content" / "blobs" / digest.substr(0, colon) / digest.substr(colon + 1);
  }

 private:
  bool sync_;
  TempDir dir_;
  std::filesystem::path root_ = dir_.path() / "root";
  PowerCut model_{dir_.path() / "trash"};
  FaultFileSystem fs_{model_};
  FaultEnv env_{model_};
  std::unique_ptr<TestServer> server_;  // destroyed before the wrappers
};

}  // namespace cairn::testing
