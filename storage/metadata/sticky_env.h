// StickyErrorEnv: a leveldb::Env wrapper whose writable files stay failed once a write failed.
//
// Why: LevelDB's log writer drops the rest of a record when an Append or Flush fails (the
// POSIX file drops its buffer, the writer still advances its block offset), and without
// WriteOptions::sync it does not remember the failure. Every later record in that log is then
// misaligned: LevelDB serves it from the memtable and answers OK, and the next recovery drops
// it (issue 10 §0: tags written after a full disk was freed vanished on restart). A file that
// fails every call after its first failed Append/Flush/Sync makes each of those later writes
// fail too, so nothing written after a failure is ever acknowledged; the Database then reopens
// LevelDB (recovering what was acknowledged into a new log) before it accepts writes again.
//
// Each failure is also reported to `on_error` (from the thread that wrote: a writer, or
// LevelDB's compaction thread), so a background compaction that failed on a full disk is seen
// at once, not at the next write. The callback must be quick and must not call into LevelDB.
//
// Thread-safety: as the wrapped Env; each file is used by one LevelDB thread at a time.
#pragma once

#include <leveldb/env.h>

#include <functional>

namespace cairn::metadata {

class StickyErrorEnv final : public leveldb::EnvWrapper {
 public:
  using ErrorFn = std::function<void(const leveldb::Status&)>;

  // Wraps `base` (which must outlive this Env); `on_error` is called for every failed write.
  StickyErrorEnv(leveldb::Env* base, ErrorFn on_error);

  leveldb::Status NewWritableFile(const std::string& name, leveldb::WritableFile** out) override;
  leveldb::Status NewAppendableFile(const std::string& name, leveldb::WritableFile** out) override;

 private:
  ErrorFn on_error_;
};

}  // namespace cairn::metadata
