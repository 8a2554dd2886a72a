#include "tests/support/fault_env.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

namespace cairn::testing {
namespace {

leveldb::Status injected(const std::string& what, int err) {
  return leveldb::Status::IOError(what, std::strerror(err));
}

bool exists(const std::string& f) {
  struct stat st {};
  return ::stat(f.c_str(), &st) == 0;
}

class FaultSequentialFile final : public leveldb::SequentialFile {
 public:
  FaultSequentialFile(PowerCut& model, std::string name, leveldb::SequentialFile* target)
      : model_(model), name_(std::move(name)), target_(target) {}
  leveldb::Status Read(size_t n, leveldb::Slice* result, char* scratch) override {
    if (int err = model_.check(FaultOp::read))
      return injected(name_, err);
    return target_->Read(n, result, scratch);
  }
  leveldb::Status Skip(uint64_t n) override { return target_->Skip(n); }

 private:
  PowerCut& model_;
  std::string name_;
  std::unique_ptr<leveldb::SequentialFile> target_;
};

class FaultRandomAccessFile final : public leveldb::RandomAccessFile {
 public:
  FaultRandomAccessFile(PowerCut& model, std::string name, leveldb::RandomAccessFile* target)
      : model_(model), name_(std::move(name)), target_(target) {}
  leveldb::Status Read(uint64_t offset, size_t n, leveldb::Slice* result,
                       char* scratch) const override {
    if (int err = model_.check(FaultOp::read))
      return injected(name_, err);
    return target_->Read(offset, n, result, scratch);
  }

 private:
  PowerCut& model_;
  std::string name_;
  std::unique_ptr<leveldb::RandomAccessFile> target_;
};

class FaultWritableFile final : public leveldb::WritableFile {
 public:
  FaultWritableFile(PowerCut& model, std::string name, leveldb::WritableFile* target)
      : model_(model), name_(std::move(name)), target_(target) {}
  leveldb::Status Append(const leveldb::Slice& data) override {
    if (int err = model_.check(FaultOp::write))
      return injected(name_, err);
    return target_->Append(data);
  }
  leveldb::Status Flush() override {
    if (int err = model_.check(FaultOp::write))
      return injected(name_, err);
    return target_->Flush();
  }
  leveldb::Status Sync() override {
    if (int err = model_.check(FaultOp::sync))
      return injected(name_, err);
    leveldb::Status s = target_->Sync();
    if (!s.ok())
      return s;
    model_.synced_file(name_);
    const std::filesystem::path p(name_);
    if (model_.created_unsynced(p) || p.filename().string().starts_with("MANIFEST"))
      model_.synced_dir(p.parent_path());
    return s;
  }
  // Closing releases the descriptor even after a cut; what it flushes is unsynced and dropped.
  leveldb::Status Close() override { return target_->Close(); }

 private:
  PowerCut& model_;
  std::string name_;
  std::unique_ptr<leveldb::WritableFile> target_;
};

}  // namespace

leveldb::Status FaultEnv::NewSequentialFile(const std::string& f, leveldb::SequentialFile** r) {
  *r = nullptr;
  if (int err = model_.check(FaultOp::open))
    return injected(f, err);
  leveldb::SequentialFile* t = nullptr;
  leveldb::Status s = target()->NewSequentialFile(f, &t);
  if (s.ok())
    *r = new FaultSequentialFile(model_, f, t);
  return s;
}

leveldb::Status FaultEnv::NewRandomAccessFile(const std::string& f, leveldb::RandomAccessFile** r) {
  *r = nullptr;
  if (int err = model_.check(FaultOp::open))
    return injected(f, err);
  leveldb::RandomAccessFile* t = nullptr;
  leveldb::Status s = target()->NewRandomAccessFile(f, &t);
  if (s.ok())
    *r = new FaultRandomAccessFile(model_, f, t);
  return s;
}

leveldb::Status FaultEnv::writable(const std::string& f, leveldb::WritableFile** r, bool append) {
  *r = nullptr;
  const bool existed = exists(f);
  if (int err = model_.check(existed ? FaultOp::open : FaultOp::create))
    return injected(f, err);
  if (existed)
    model_.touching(f, append ? std::nullopt : std::optional<int64_t>(0));
  leveldb::WritableFile* t = nullptr;
  leveldb::Status s =
      append ? target()->NewAppendableFile(f, &t) : target()->NewWritableFile(f, &t);
  if (!s.ok())
    return s;
  if (!existed)
    model_.created(f);
  *r = new FaultWritableFile(model_, f, t);
  return s;
}

leveldb::Status FaultEnv::NewWritableFile(const std::string& f, leveldb::WritableFile** r) {
  return writable(f, r, false);
}

leveldb::Status FaultEnv::NewAppendableFile(const std::string& f, leveldb::WritableFile** r) {
  return writable(f, r, true);
}

leveldb::Status FaultEnv::GetChildren(const std::string& dir, std::vector<std::string>* r) {
  if (int err = model_.check(FaultOp::other))
    return injected(dir, err);
  return target()->GetChildren(dir, r);
}

leveldb::Status FaultEnv::RemoveFile(const std::string& f) {
  if (int err = model_.check(FaultOp::remove))
    return injected(f, err);
  if (model_.unlink(f) != 0)
    return injected(f, errno);
  return leveldb::Status::OK();
}

leveldb::Status FaultEnv::CreateDir(const std::string& d) {
  if (int err = model_.check(FaultOp::mkdir))
    return injected(d, err);
  const bool existed = exists(d);
  leveldb::Status s = target()->CreateDir(d);
  if (s.ok() && !existed)
    model_.made_dir(d);
  return s;
}

leveldb::Status FaultEnv::RemoveDir(const std::string& d) {
  if (int err = model_.check(FaultOp::remove))
    return injected(d, err);
  leveldb::Status s = target()->RemoveDir(d);
  if (s.ok())
    model_.removed_dir(d);
  return s;
}

leveldb::Status FaultEnv::GetFileSize(const std::string& f, uint64_t* size) {
  if (int err = model_.check(FaultOp::read))
    return injected(f, err);
  return target()->GetFileSize(f, size);
}

leveldb::Status FaultEnv::RenameFile(const std::string& from, const std::string& to) {
  if (int err = model_.check(FaultOp::rename))
    return injected(from, err);
  if (model_.rename(from, to, false) != 0)
    return injected(from, errno);
  return leveldb::Status::OK();
}

}  // namespace cairn::testing
