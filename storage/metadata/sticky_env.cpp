#include "storage/metadata/sticky_env.h"

#include <memory>

namespace cairn::metadata {
namespace {

class StickyFile final : public leveldb::WritableFile {
 public:
  StickyFile(leveldb::WritableFile* base, const StickyErrorEnv::ErrorFn* on_error)
      : base_(base), on_error_(on_error) {}

  leveldb::Status Append(const leveldb::Slice& data) override {
    return guard([&] { return base_->Append(data); });
  }
  leveldb::Status Flush() override {
    return guard([&] { return base_->Flush(); });
  }
  leveldb::Status Sync() override {
    return guard([&] { return base_->Sync(); });
  }
  leveldb::Status Close() override {
    leveldb::Status s = base_->Close();
    return error_.ok() ? s : error_;
  }

 private:
  template <class Fn>
  leveldb::Status guard(Fn&& fn) {
    if (!error_.ok())
      return error_;
    leveldb::Status s = fn();
    if (!s.ok()) {
      error_ = s;
      if (*on_error_)
        (*on_error_)(s);
    }
    return s;
  }

  std::unique_ptr<leveldb::WritableFile> base_;
  const StickyErrorEnv::ErrorFn* on_error_;  // the Env's, which outlives its files
  leveldb::Status error_;                    // the first failure; OK until then
};

}  // namespace

StickyErrorEnv::StickyErrorEnv(leveldb::Env* base, ErrorFn on_error)
    : leveldb::EnvWrapper(base), on_error_(std::move(on_error)) {}

leveldb::Status StickyErrorEnv::NewWritableFile(const std::string& name,
                                                leveldb::WritableFile** out) {
  leveldb::WritableFile* base = nullptr;
  leveldb::Status s = target()->NewWritableFile(name, &base);
  *out = s.ok() ? new StickyFile(base, &on_error_) : nullptr;
  return s;
}

leveldb::Status StickyErrorEnv::NewAppendableFile(const std::string& name,
                                                  leveldb::WritableFile** out) {
  leveldb::WritableFile* base = nullptr;
  leveldb::Status s = target()->NewAppendableFile(name, &base);
  *out = s.ok() ? new StickyFile(base, &on_error_) : nullptr;
  return s;
}

}  // namespace cairn::metadata
