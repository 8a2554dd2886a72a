// GC crash test: a child process collects over a data root holding thousands of garbage blobs
// (records and files) across namespaces, next to live ones (gc.root labels, a lease, and
// records whose bytes are garbage in one namespace and live in another); the parent SIGKILLs it
// after its mark, at delays spread over the sweep. Then, on each root the parent reopens the
// storage and checks: no record without its file (every record's reader yields bytes that hash
// to its digest), the one sweep batch is all or nothing, the live set is whole; one more
// collection leaves exactly the files the records name.
//
// Every fork happens before the parent opens a database itself (LevelDB's background thread
// would not survive into the child): the template root is built in a child, and the parent
// judges how far a kill got by counting files only, until all trials are done.
#include "storage/storage.h"
#include "tests/support/oci.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace cairn::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr int kNamespaces = 4;
constexpr int kGarbage = 500;  // per namespace
constexpr int kRooted = 20;    // per namespace, labelled gc.root
constexpr int kLeased = 10;    // per namespace, held by lease "keep"
constexpr int kShared = 10;    // per namespace: records of the next namespace's rooted bytes
constexpr int kMaxTrials = 10;
constexpr auto kChildTimeout = 120s;

std::string ns_name(int n) {
  return "crash/ns" + std::to_string(n);
}

// The bytes of blob `i` of kind `kind` in namespace `n` (deterministic: parent and children
// compute the same set).
std::string bytes_of(int n, int kind, int i) {
  return blob_bytes(100 + static_cast<size_t>(i % 200),
                    static_cast<uint32_t>(n * 100'000 + kind * 10'000 + i));
}
enum Kind { kGarbageKind = 1, kRootedKind = 2, kLeasedKind = 3 };

struct Expected {
  std::set<std::string> live_files;     // hex digests that must keep their files
  std::set<std::string> garbage_files;  // hex digests whose files must go
  size_t live_records = 0;
  size_t garbage_records = 0;
};

Expected expected() {
  Expected e;
  for (int n = 0; n < kNamespaces; ++n) {
    for (int i = 0; i < kGarbage; ++i)
      e.garbage_files.insert(std::string(content::digest_of(bytes_of(n, kGarbageKind, i)).hex()));
    for (int i = 0; i < kRooted; ++i)
      e.live_files.insert(std::string(content::digest_of(bytes_of(n, kRootedKind, i)).hex()));
    for (int i = 0; i < kLeased; ++i)
      e.live_files.insert(std::string(content::digest_of(bytes_of(n, kLeasedKind, i)).hex()));
  }
  e.live_records = static_cast<size_t>(kNamespaces) * (kRooted + kLeased);
  e.garbage_records = static_cast<size_t>(kNamespaces) * (kGarbage + kShared);
  return e;
}

StorageOptions options() {
  StorageOptions o;
  o.gc.grace = std::chrono::nanoseconds(0);
  o.gc.delete_chunk = 64;  // many holds of the content lock: more moments to die in
  return o;
}

// Commits `data` to `scope` with `labels` through ingest `ref`. False on any error but
// already_exists.
bool commit(Storage& s, const metadata::Scope& scope, const std::string& data,
            const std::string& ref, const content::Labels& labels = {}) {
  const content::Digest d = content::digest_of(data);
  content::WriterOptions opts{ref, static_cast<int64_t>(data.size()), d};
  auto w = s.content().writer(scope, opts);
  if (!w)
    return w.error() == Errc::already_exists && labels.empty();
  if (!(*w)->write(data))
    return false;
  auto r = (*w)->commit(static_cast<int64_t>(data.size()), d, labels);
  return r || r.error() == Errc::already_exists;
}

// Fills namespace `n` of the template: its lease, rooted, leased and garbage blobs.
bool populate_namespace(Storage& st, int n) {
  const std::string ns = ns_name(n);
  metadata::LeaseOptions lease;
  lease.id = "keep";
  if (!st.leases().create(ns, lease))
    return false;
  int ref = 0;
  auto next_ref = [&] { return "populate-" + std::to_string(++ref); };
  for (int i = 0; i < kRooted; ++i) {
    if (!commit(st, {ns, {}}, bytes_of(n, kRootedKind, i), next_ref(),
                {{"containerd.io/gc.root", "1"}})) {
      return false;
    }
  }
  for (int i = 0; i < kLeased; ++i) {
    if (!commit(st, {ns, "keep"}, bytes_of(n, kLeasedKind, i), next_ref()))
      return false;
  }
  for (int i = 0; i < kGarbage; ++i) {
    if (!commit(st, {ns, {}}, bytes_of(n, kGarbageKind, i), next_ref()))
      return false;
  }
  return true;
}

// Builds the template root in a child process (a thread per namespace: the commits' fsyncs
// overlap). Returns its exit code (0: built).
int populate_in_child(const fs::path& root) {
  pid_t pid = ::fork();
  if (pid == 0) {
    auto s = Storage::open(root, options());
    if (!s)
      ::_exit(2);
    Storage& st = **s;
    std::atomic<bool> ok{true};
    std::vector<std::thread> threads;
    for (int n = 0; n < kNamespaces; ++n) {
      threads.emplace_back([&, n] {
        if (!populate_namespace(st, n))
          ok = false;
      });
    }
    for (auto& t : threads)
      t.join();
    if (!ok)
      ::_exit(3);
    // Garbage records whose bytes another namespace keeps (recorded without bytes: shared).
    for (int n = 0; n < kNamespaces; ++n) {
      for (int i = 0; i < kShared; ++i) {
        if (!commit(st, {ns_name(n), {}}, bytes_of((n + 1) % kNamespaces, kRootedKind, i),
                    "shared-" + std::to_string(i))) {
          ::_exit(4);
        }
      }
    }
    s->reset();  // closes the database
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

size_t count_files(const fs::path& root) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(root / "content/blobs/sha256"))
    ++n;
  return n;
}

std::set<std::string> files_of(const fs::path& root) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(root / "content/blobs/sha256"))
    out.insert(e.path().filename().string());
  return out;
}

struct Trial {
  fs::path root;
  std::chrono::microseconds delay{};  // after the mark; negative: not killed
  bool killed = false;                // died of our SIGKILL (not done with its first run)
  bool finished = false;              // its first collection completed before the kill
  size_t files_after = 0;
};

// Forks a child that collects over `root` in a loop, telling the parent through a pipe when a
// mark ends ('M') and when a run ends ('D'). The parent waits for the first 'M', waits `delay`
// and SIGKILLs it; with a negative delay it lets the first run finish and stops the child
// then. Returns the sweep's length (first 'M' to first 'D') when it was seen.
std::optional<std::chrono::microseconds> run_trial(Trial& t) {
  int fds[2];
  if (::pipe(fds) != 0)
    return std::nullopt;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    const int out = fds[1];
    StorageOptions o = options();
    o.gc.after_mark = [out] { (void)!::write(out, "M", 1); };
    auto s = Storage::open(t.root, o);
    if (!s)
      ::_exit(2);
    for (;;) {
      if (!(*s)->collector().collect())
        ::_exit(3);
      (void)!::write(out, "D", 1);
    }
  }
  ::close(fds[1]);
  auto read_byte = [&](std::chrono::milliseconds timeout) -> char {
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0)
      return 0;
    char c = 0;
    return ::read(fds[0], &c, 1) == 1 ? c : 0;
  };
  std::optional<std::chrono::microseconds> sweep;
  char c = read_byte(std::chrono::duration_cast<std::chrono::milliseconds>(kChildTimeout));
  const auto marked = std::chrono::steady_clock::now();
  if (c == 'M') {
    if (t.delay.count() < 0) {
      c = read_byte(std::chrono::duration_cast<std::chrono::milliseconds>(kChildTimeout));
      if (c == 'D') {
        sweep = std::chrono::duration_cast<std::chrono::microseconds>(
            std::chrono::steady_clock::now() - marked);
      }
    } else if (t.delay.count() > 0) {
      std::this_thread::sleep_for(t.delay);  // the moment of the crash, not a wait for state
    }
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  t.killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
  ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
  std::string rest(1, c);
  char buf[64];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;)
    rest.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  t.finished = rest.find('D') != std::string::npos;
  t.files_after = count_files(t.root);
  return sweep;
}

TEST(GcCrash, SigkillDuringSweepLeavesNoRecordWithoutItsFileAndOrphansGoNextRun) {
  TempDir dir;
  const fs::path tmpl = dir / "template";
  const Expected want = expected();
  const size_t all_files = want.live_files.size() + want.garbage_files.size();
  ASSERT_EQ(populate_in_child(tmpl), 0) << "building the template root failed";
  ASSERT_EQ(count_files(tmpl), all_files);

  std::vector<Trial> trials;
  auto copy = [&](int i) {
    Trial t;
    t.root = dir / ("trial" + std::to_string(i));
    fs::copy(tmpl, t.root, fs::copy_options::recursive);
    return t;
  };

  // Trial 0 runs a whole collection: its sweep's length spreads the kills of the others.
  Trial calibrate = copy(0);
  calibrate.delay = std::chrono::microseconds(-1);
  auto sweep = run_trial(calibrate);
  ASSERT_TRUE(sweep) << "the calibration child never finished a collection";
  ASSERT_TRUE(calibrate.finished);
  EXPECT_EQ(calibrate.files_after, want.live_files.size());
  trials.push_back(calibrate);

  // Then kills: one at the mark itself, the rest spread over the sweep, adapting when a kill
  // lands before any file went (later next time) or after the last one (earlier next time).
  double fraction = 0.5;
  int mid_sweep = 0;
  for (int i = 1; i < kMaxTrials && (i < 6 || mid_sweep < 2); ++i) {
    Trial t = copy(i);
    t.delay = i == 1 ? std::chrono::microseconds(0)
                     : std::chrono::microseconds(
                           static_cast<int64_t>(static_cast<double>(sweep->count()) * fraction));
    run_trial(t);
    if (i > 1) {
      if (t.files_after == all_files)
        fraction = std::min(0.98, fraction * 1.5);
      else if (t.files_after == want.live_files.size())
        fraction *= 0.5;
      else
        fraction = std::min(0.95, fraction + 0.15);  // in the middle: try a later moment too
    }
    if (t.files_after != all_files && t.files_after != want.live_files.size())
      ++mid_sweep;
    trials.push_back(t);
  }
  EXPECT_GE(mid_sweep, 1) << "no kill landed while files were being deleted";

  // Only now does this process open databases.
  for (const Trial& t : trials) {
    SCOPED_TRACE(t.root.filename().string() + " killed after " + std::to_string(t.delay.count()) +
                 " us");
    auto s = Storage::open(t.root, options());
    ASSERT_TRUE(s) << s.error().detail;
    Storage& st = **s;

    // No record without its file, and each file is the record's bytes.
    std::set<std::string> recorded;
    size_t records = 0;
    auto names = st.namespaces().list();
    ASSERT_TRUE(names);
    for (const auto& ns : names->names) {
      std::vector<content::Info> infos;
      auto walked = st.content().walk({ns, {}},
                                      [&](const content::Info& info) {
                                        infos.push_back(info);
                                        return true;
                                      },
                                      {});
      ASSERT_TRUE(walked) << walked.error().detail;
      for (const auto& info : infos) {
        ++records;
        const std::string hex(info.digest.hex());
        recorded.insert(hex);
        auto reader = st.content().reader({ns, {}}, info.digest);
        ASSERT_TRUE(reader) << ns << "@" << info.digest.str() << ": record without its file";
        std::string bytes(static_cast<size_t>((*reader)->size()), '\0');
        auto n = (*reader)->read_at(std::as_writable_bytes(std::span(bytes)), 0);
        ASSERT_TRUE(n);
        EXPECT_EQ(*n, bytes.size());
        EXPECT_EQ(content::digest_of(bytes), info.digest) << ns;
        EXPECT_EQ(info.size, static_cast<int64_t>(bytes.size()));
      }
    }
    // The live set is whole; the sweep's one batch removed all garbage records or none.
    for (const auto& hex : want.live_files)
      EXPECT_TRUE(recorded.contains(hex)) << "live blob " << hex << " lost its record";
    EXPECT_TRUE(records == want.live_records + want.garbage_records || records == want.live_records)
        << records << " records: the sweep batch was applied in part";
    const std::set<std::string> before = files_of(t.root);
    size_t orphans = 0;
    for (const auto& f : before)
      orphans += recorded.contains(f) ? 0 : 1;
    std::cout << "[ trial    ] " << t.root.filename().string() << ": delay " << t.delay.count()
              << " us, killed " << t.killed << ", first run done " << t.finished << ", " << records
              << " records, " << before.size() << " files (" << orphans << " orphans)\n";

    // The next collection removes what the crash left: the tree then holds exactly the files
    // that records name, i.e. the live ones.
    auto stats = st.collector().collect();
    ASSERT_TRUE(stats) << stats.error().detail;
    const std::set<std::string> after = files_of(t.root);
    EXPECT_EQ(after, want.live_files);
    EXPECT_EQ(stats->removed_files, before.size() - after.size());
    size_t live_records = 0;
    for (const auto& ns : names->names) {
      auto walked = st.content().walk({ns, {}},
                                      [&](const content::Info&) {
                                        ++live_records;
                                        return true;
                                      },
                                      {});
      ASSERT_TRUE(walked);
    }
    EXPECT_EQ(live_records, want.live_records);
  }
  std::cout << "[ figures  ] sweep of " << want.garbage_files.size() << " garbage files took "
            << sweep->count() << " us after the mark; " << mid_sweep
            << " kill(s) landed while files were being deleted\n";
}

}  // namespace
}  // namespace cairn::testing
