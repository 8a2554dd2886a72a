// Crash safety of LocalStore: a child process writes and dies (SIGKILL or _exit) at chosen
// points, then the parent reopens the store over the same files and checks the invariants:
// blobs/ holds only complete, verified, read-only files; an interrupted ingest resumes with the
// right offset and digest; a commit interrupted after its rename leaves readable content and a
// stale ingest that is cleaned up.
#include "storage/content/local_store.h"

#include "tests/support/temp_dir.h"
#include "tests/unit/storage/content/store_suite.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <sstream>

namespace cairn::content {
namespace {

using cairn::testing::TempDir;
using cairn::testing::store_suite::payload;
using cairn::testing::store_suite::read_all;
namespace fs = std::filesystem;

// Runs `body` in a forked child. The child ends by SIGKILL (raised by the body or a hook) or
// by _exit: with 0 when the body returns, with 3 when it reports a failure. Returns the wait
// status.
int run_child(const std::function<bool()>& body) {
  pid_t pid = ::fork();
  if (pid == 0) {
    bool ok = body();
    ::_exit(ok ? 0 : 3);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

bool killed(int status) {
  return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

// Every file under blobs/ is complete, read-only and hashes to its name.
void expect_blob_tree_sound(const fs::path& root) {
  for (Algorithm alg : {Algorithm::sha256, Algorithm::sha512}) {
    for (const auto& e :
         fs::directory_iterator(root / "blobs" / std::string(algorithm_name(alg)))) {
      std::ifstream in(e.path(), std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      EXPECT_EQ(std::string(digest_of(ss.str(), alg).hex()), e.path().filename().string())
          << "corrupt blob file";
      struct stat st {};
      ASSERT_EQ(::stat(e.path().c_str(), &st), 0);
      EXPECT_EQ(st.st_mode & 0222, 0u) << "writable blob file";
    }
  }
}

// No ingest directory under `root` but the spares commits keep for reuse.
bool no_ingests(const fs::path& root) {
  for (const auto& e : fs::directory_iterator(root / "ingest")) {
    if (!e.path().filename().string().starts_with(".tmp-spare-"))
      return false;
  }
  return true;
}

class LocalStoreCrash : public ::testing::Test {
 protected:
  fs::path root() const { return dir_.path() / "content"; }
  fs::path ingest_dir(std::string_view ref) const {
    return root() / "ingest" / std::string(digest_of(ref).hex());
  }
  // The child's work: write `n` bytes of data_ under ref "crash" (in 64 KiB pieces), then
  // `after(writer)` decides how it ends.
  int write_in_child(size_t n, const std::function<bool(Writer&)>& after,
                     std::function<void(std::string_view)> hook = {}) {
    return run_child([&] {
      LocalStoreOptions opts;
      opts.writeback_interval = 1 << 20;  // exercise writeback on the way
      opts.fault_hook = std::move(hook);
      auto store = LocalStore::open(root(), opts);
      if (!store)
        return false;
      auto w = (*store)->writer(WriterOptions{"crash", 0, std::nullopt});
      if (!w)
        return false;
      for (size_t off = 0; off < n; off += 65536) {
        if (!(*w)->write(std::string_view(data_).substr(off, std::min<size_t>(65536, n - off)))) {
          return false;
        }
      }
      return after(**w);
    });
  }

  // Reopens in the parent and finishes the ingest: it must resume at `offset` with the digest
  // of that prefix, and commit to data_'s digest.
  void expect_resume_and_commit(int64_t offset) {
    auto store = LocalStore::open(root());
    CAIRN_ASSERT_OK(store);
    expect_blob_tree_sound(root());
    CAIRN_ASSERT_ERR((*store)->info(digest_), Errc::not_found);
    auto st = (*store)->status("crash");
    CAIRN_ASSERT_OK(st);
    EXPECT_EQ(st->offset, offset);
    auto w = (*store)->writer(WriterOptions{"crash", 0, std::nullopt});
    CAIRN_ASSERT_OK(w);
    EXPECT_EQ((*w)->status()->offset, offset);
    EXPECT_EQ((*w)->digest(), digest_of(std::string_view(data_).substr(0, offset)));
    CAIRN_ASSERT_OK((*w)->write(std::string_view(data_).substr(offset)));
    CAIRN_ASSERT_OK((*w)->commit(static_cast<int64_t>(data_.size()), digest_));
    w->reset();
    auto back = read_all(**store, digest_);
    CAIRN_ASSERT_OK(back);
    EXPECT_TRUE(*back == data_);
    expect_blob_tree_sound(root());
    EXPECT_TRUE(no_ingests(root()));
  }

  // After a commit died past its rename: the content is there, the ingest is stale and goes.
  void expect_committed_and_ingest_cleaned() {
    EXPECT_TRUE(fs::exists(ingest_dir("crash")));
    EXPECT_FALSE(fs::exists(ingest_dir("crash") / "data"));
    auto store = LocalStore::open(root());
    CAIRN_ASSERT_OK(store);
    expect_blob_tree_sound(root());
    auto back = read_all(**store, digest_);
    CAIRN_ASSERT_OK(back);
    EXPECT_TRUE(*back == data_);
    auto list = (*store)->list_statuses();
    CAIRN_ASSERT_OK(list);
    EXPECT_TRUE(list->empty());
    EXPECT_FALSE(fs::exists(ingest_dir("crash")));
    CAIRN_ASSERT_ERR((*store)->writer(WriterOptions{"crash", 0, digest_}), Errc::already_exists);
    auto fresh = (*store)->writer(WriterOptions{"crash", 0, std::nullopt});
    CAIRN_ASSERT_OK(fresh);
    EXPECT_EQ((*fresh)->status()->offset, 0);
  }

  TempDir dir_;
  const std::string data_ = payload(3 << 20, 11);
  const Digest digest_ = digest_of(data_);
};

TEST_F(LocalStoreCrash, KilledMidWrite) {
  const size_t half = data_.size() / 2 + 12345;
  int status = write_in_child(half, [](Writer&) {
    ::raise(SIGKILL);
    return false;
  });
  ASSERT_TRUE(killed(status)) << status;
  expect_resume_and_commit(static_cast<int64_t>(half));
}

TEST_F(LocalStoreCrash, ExitedWithoutClosingTheWriter) {
  const size_t part = 777'777;
  int status = write_in_child(part, [](Writer&) -> bool { ::_exit(0); });
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  expect_resume_and_commit(static_cast<int64_t>(part));
}

TEST_F(LocalStoreCrash, KilledAfterVerifyBeforeSync) {
  int status = write_in_child(
      data_.size(), [&](Writer& w) { return w.commit(0, digest_).has_value(); },
      [](std::string_view stage) {
        if (stage == "verified")
          ::raise(SIGKILL);
      });
  ASSERT_TRUE(killed(status)) << status;
  expect_resume_and_commit(static_cast<int64_t>(data_.size()));
}

TEST_F(LocalStoreCrash, KilledAfterSyncBeforeRename) {
  int status = write_in_child(
      data_.size(), [&](Writer& w) { return w.commit(0, digest_).has_value(); },
      [](std::string_view stage) {
        if (stage == "synced")
          ::raise(SIGKILL);
      });
  ASSERT_TRUE(killed(status)) << status;
  // The data file was made read-only for the rename that never came; resume copes.
  expect_resume_and_commit(static_cast<int64_t>(data_.size()));
}

TEST_F(LocalStoreCrash, KilledAfterRenameBeforeIngestRemoval) {
  int status = write_in_child(
      data_.size(), [&](Writer& w) { return w.commit(0, digest_).has_value(); },
      [](std::string_view stage) {
        if (stage == "renamed")
          ::raise(SIGKILL);
      });
  ASSERT_TRUE(killed(status)) << status;
  expect_committed_and_ingest_cleaned();
}

TEST_F(LocalStoreCrash, KilledAfterDirSyncBeforeIngestRemoval) {
  int status = write_in_child(
      data_.size(), [&](Writer& w) { return w.commit(0, digest_).has_value(); },
      [](std::string_view stage) {
        if (stage == "dir_synced")
          ::raise(SIGKILL);
      });
  ASSERT_TRUE(killed(status)) << status;
  expect_committed_and_ingest_cleaned();
}

TEST_F(LocalStoreCrash, StaleIngestDoesNotBlockAResume) {
  // The rename happened, the process died, and the client opens the ref again at once.
  int status = write_in_child(
      data_.size(), [&](Writer& w) { return w.commit(0, digest_).has_value(); },
      [](std::string_view stage) {
        if (stage == "renamed")
          ::raise(SIGKILL);
      });
  ASSERT_TRUE(killed(status)) << status;
  auto store = LocalStore::open(root());
  CAIRN_ASSERT_OK(store);
  auto w = (*store)->writer(WriterOptions{"crash", 0, std::nullopt});
  CAIRN_ASSERT_OK(w);
  EXPECT_EQ((*w)->status()->offset, 0);
  CAIRN_ASSERT_OK((*w)->write(data_));
  CAIRN_ASSERT_ERR((*w)->commit(0, digest_), Errc::already_exists);
  w->reset();
  EXPECT_TRUE(no_ingests(root()));
  expect_blob_tree_sound(root());
}

TEST_F(LocalStoreCrash, CompletedChildCommitIsDurableAndClean) {
  int status =
      write_in_child(data_.size(), [&](Writer& w) { return w.commit(0, digest_).has_value(); });
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_TRUE(no_ingests(root()));
  auto store = LocalStore::open(root());
  CAIRN_ASSERT_OK(store);
  expect_blob_tree_sound(root());
  CAIRN_ASSERT_OK((*store)->info(digest_));
}

}  // namespace
}  // namespace cairn::content
