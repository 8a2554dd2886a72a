// FaultEnv: a leveldb::Env over Env::Default() that reports every file change of the metadata
// database to a PowerCut model (power_cut.h) and fails operations as it says (after a cut,
// every file operation answers an IOError). RemoveFile moves the file into the model's trash so
// a power cut can bring it back.
//
// What LevelDB is granted, as its own FaultInjectionTestEnv grants it: syncing a file created
// since its directory was last synced also makes the directory's entries durable (ext4 and xfs
// commit the entry with the file's fsync), and syncing a MANIFEST syncs the directory (LevelDB's
// posix Env does that itself). Data is durable only up to the last Sync of each file.
#pragma once

#include "tests/support/power_cut.h"

#include <leveldb/env.h>

namespace cairn::testing {

class FaultEnv final : public leveldb::EnvWrapper {
 public:
  explicit FaultEnv(PowerCut& model)
      : leveldb::EnvWrapper(leveldb::Env::Default()), model_(model) {}

  leveldb::Status NewSequentialFile(const std::string& f, leveldb::SequentialFile** r) override;
  leveldb::Status NewRandomAccessFile(const std::string& f, leveldb::RandomAccessFile** r) override;
  leveldb::Status NewWritableFile(const std::string& f, leveldb::WritableFile** r) override;
  leveldb::Status NewAppendableFile(const std::string& f, leveldb::WritableFile** r) override;
  leveldb::Status GetChildren(const std::string& dir, std::vector<std::string>* r) override;
  leveldb::Status RemoveFile(const std::string& f) override;
  leveldb::Status CreateDir(const std::string& d) override;
  leveldb::Status RemoveDir(const std::string& d) override;
  leveldb::Status GetFileSize(const std::string& f, uint64_t* size) override;
  leveldb::Status RenameFile(const std::string& from, const std::string& to) override;

  PowerCut& model() { return model_; }

 private:
  leveldb::Status writable(const std::string& f, leveldb::WritableFile** r, bool append);

  PowerCut& model_;
};

}  // namespace cairn::testing
