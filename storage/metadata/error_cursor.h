// ErrorCursor: the cursor an engine answers when it cannot read now (reopening, or no connection
// free): never valid(), its status() the error.
#pragma once

#include "storage/metadata/engine.h"

namespace cairn::metadata {

class ErrorCursor final : public Cursor {
 public:
  explicit ErrorCursor(Error e) : error_(std::move(e)) {}
  void seek(std::string_view) override {}
  bool valid() const override { return false; }
  void next() override {}
  std::string_view key() const override { return {}; }
  std::string_view value() const override { return {}; }
  Result<void> status() const override { return error_; }

 private:
  Error error_;
};

}  // namespace cairn::metadata
