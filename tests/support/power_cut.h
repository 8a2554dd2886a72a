// PowerCut: the fault model shared by the fault-injecting content filesystem (fault_fs.h) and
// the fault-injecting LevelDB environment (fault_env.h), after LevelDB's FaultInjectionTestEnv.
//
// Both wrappers do every operation on the real files of a temporary data root and report it
// here. The model tracks what a power cut would keep:
//  - per file (by inode): the size last made durable by fsync (LevelDB's Sync); a file that
//    existed before tracking began counts as durable at its size when first written;
//  - per directory: the entries created, renamed into it or removed from it since that
//    directory was last fsynced. A rename counts as durable once its target directory is
//    fsynced. unlink(2) is done as a rename into a trash directory, so it can be undone.
//
// cut() makes every further operation of both wrappers fail with EIO. After the stores are
// closed, drop_unsynced() rewinds the disk to what survived: it undoes, newest first, every
// directory change not made durable (removes the files and directories created, puts renamed
// files back under their old name with the file they replaced, brings unlinked files and
// removed directories back), then truncates every tracked file to its synced size. Afterwards
// everything on disk counts as durable and the model is live again.
//
// It also injects errors: the n-th operation of a kind fails with an errno, once or until
// cleared, and cut_after(n) cuts the power at the n-th mutating operation from now.
//
// Thread-safe: one mutex guards the model (tests only; the cost does not matter).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace cairn::testing {

// The kinds of operation faults are injected on.
enum class FaultOp {
  open,    // opening an existing file (reading or writing)
  create,  // creating a file
  read,    // pread, LevelDB file reads, stat
  write,   // write, LevelDB Append/Flush, ftruncate
  sync,    // fsync of a file or a directory, LevelDB Sync
  rename,  // rename, renameat2
  remove,  // unlink, rmdir
  mkdir,   // mkdir
  other,   // chmod, futimens, listing
};

class PowerCut {
 public:
  // `trash` is a directory on the same filesystem as the files (created when missing) where
  // unlinked files wait until drop_unsynced().
  explicit PowerCut(std::filesystem::path trash);

  // --- fault injection ---

  // The `nth` (1-based, counted from this call) operation of kind `op` fails with `err`; with
  // `sticky`, that one and every later one of the kind fail until clear_faults().
  void inject(FaultOp op, uint64_t nth, int err, bool sticky = false);
  void clear_faults();
  // Cuts the power at the `n`-th mutating operation from now (that operation fails).
  void cut_after(uint64_t n);
  // Cuts the power now: every further operation of the wrappers fails with EIO.
  void cut();
  bool is_cut() const;
  // Mutating operations seen since construction (for choosing cut points).
  uint64_t mutations() const;

  // What drop_unsynced() did.
  struct Dropped {
    uint64_t entries_undone = 0;   // directory changes rolled back
    uint64_t files_truncated = 0;  // files cut back to their synced size
    uint64_t bytes_dropped = 0;    // bytes those truncations removed
    uint64_t not_undoable = 0;     // changes the model could not roll back (left in place)
  };
  // Rewinds the disk under `root` to what a power cut keeps (see above), empties the trash and
  // restarts the model (not cut, no faults). Call only after every store using the wrappers is
  // closed.
  Dropped drop_unsynced(const std::filesystem::path& root);

  // --- called by the wrappers ---

  // 0 when `op` may proceed, else the errno it must fail with.
  int check(FaultOp op);
  // A file was created (it did not exist before the call that opened it).
  void created(const std::filesystem::path& path);
  // A file is about to change size or content: track it (as durable at its current size) if it
  // is not tracked yet. `truncating_to` lowers its synced size (ftruncate, O_TRUNC).
  void touching(const std::filesystem::path& path, std::optional<int64_t> truncating_to = {});
  void touching_fd(int fd, std::optional<int64_t> truncating_to = {});
  // The file's current content is durable.
  void synced_file(const std::filesystem::path& path);
  void synced_fd(int fd);
  // Every change to the entries of `dir` so far is durable.
  void synced_dir(const std::filesystem::path& dir);
  // Whether the file's creation is not yet durable (LevelDB treats an fsynced new file's entry
  // as durable; see fault_env.h).
  bool created_unsynced(const std::filesystem::path& path);
  // rename(from, to): does it, recording what it replaced. Returns rename's result (errno set).
  int rename(const std::filesystem::path& from, const std::filesystem::path& to, bool noreplace);
  // unlink(path) as a move into the trash. Returns 0 or -1 with errno set.
  int unlink(const std::filesystem::path& path);
  // A directory was made or removed.
  void made_dir(const std::filesystem::path& path);
  void removed_dir(const std::filesystem::path& path);
  // Remembers which directory an open descriptor names (for fsync on it).
  void opened_dir(int fd, const std::filesystem::path& path);

 private:
  struct EntryOp {
    enum Kind { create, mkdir, rename, unlink, rmdir } kind;
    std::filesystem::path dir;    // the directory whose fsync makes it durable
    std::filesystem::path path;   // the new name (create, mkdir, rename's target, unlink, rmdir)
    std::filesystem::path from;   // rename's source
    ino_t ino = 0;                // the file or directory it concerns
    std::filesystem::path saved;  // unlink: where the file waits; rename: the replaced file
  };
  struct Injection {
    FaultOp op;
    uint64_t remaining;
    int err;
    bool sticky;
  };

  void track_locked(ino_t ino, int64_t size, std::optional<int64_t> truncating_to);
  std::filesystem::path next_trash_locked();
  void undo_locked(const EntryOp& op, Dropped& d);

  const std::filesystem::path trash_;
  mutable std::mutex mu_;
  bool cut_ = false;
  uint64_t mutations_ = 0;
  std::optional<uint64_t> cut_at_;
  uint64_t trash_seq_ = 0;
  std::vector<Injection> injections_;
  std::unordered_map<ino_t, int64_t> synced_size_;  // tracked files
  std::vector<EntryOp> pending_;                    // not yet durable, oldest first
  std::unordered_map<int, std::filesystem::path> dir_fds_;
};

}  // namespace cairn::testing
