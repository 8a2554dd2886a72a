// NamespaceView: one namespace (and optional lease) of a ContentStore seen as a content::Store,
// so code written against the content interfaces (and the typed content store test suite) can
// use namespaced content unchanged.
//
// Thread-safety: as ContentStore; the view itself holds only its Scope.
#pragma once

#include "storage/metadata/content_store.h"

namespace cairn::metadata {

class NamespaceView final : public content::Store {
 public:
  // `store` must outlive the view.
  NamespaceView(ContentStore& store, Scope scope) : store_(store), scope_(std::move(scope)) {}

  const Scope& scope() const noexcept { return scope_; }

  // Each call is the ContentStore call of the same name with this view's Scope.
  Result<std::unique_ptr<content::ReaderAt>> reader(const Digest& digest) override {
    return store_.reader(scope_, digest);
  }
  Result<content::Info> info(const Digest& digest) override { return store_.info(scope_, digest); }
  Result<content::Info> update(const content::Info& info,
                               std::span<const std::string> fieldpaths) override {
    return store_.update(scope_, info, fieldpaths);
  }
  Result<void> walk(const content::WalkFn& fn, std::span<const std::string> filters) override {
    return store_.walk(scope_, fn, filters);
  }
  Result<void> remove(const Digest& digest) override { return store_.remove(scope_, digest); }
  Result<content::Status> status(std::string_view ref) override {
    return store_.status(scope_, ref);
  }
  Result<std::vector<content::Status>> list_statuses() override {
    return store_.list_statuses(scope_);
  }
  Result<void> abort(std::string_view ref) override { return store_.abort(scope_, ref); }
  Result<std::unique_ptr<content::Writer>> writer(const content::WriterOptions& opts) override {
    return store_.writer(scope_, opts);
  }

 private:
  ContentStore& store_;
  Scope scope_;
};

}  // namespace cairn::metadata
