// Fuzzes the route table: a method and a request target go through the server's split of the
// target (path percent-decoded, query kept raw, as server/http_server.cpp does) and
// Router::match over the real routes (handlers/routes.cpp); a matched route's parameters then
// go through the checks its handler starts with (name, digest, reference, paging, ?digest=,
// ?mount=). Input: the method, a newline, the request target.
//
// The route table captures an Api, so one is built over a storage root in a temporary
// directory; nothing here touches it (no handler runs).
#include "server/router.h"
#include "handlers/api.h"
#include "handlers/manifests.h"
#include "handlers/params.h"
#include "handlers/service.h"
#include "server/http.h"
#include "server/offload.h"
#include "storage/metadata/names.h"
#include "storage/storage.h"

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

using namespace cairn;

namespace {

void check(bool ok) {
  if (!ok)
    std::abort();
}

// The real route table over a throw-away data root (the storage is never touched: only the
// matching and the request checks run).
struct World {
  std::filesystem::path root;
  std::unique_ptr<handlers::Service> service;

  World() {
    char dir[] = "/tmp/cairn-fuzz-router-XXXXXX";
    check(mkdtemp(dir) != nullptr);
    root = dir;
    handlers::ServiceOptions options;
    options.root = root;
    options.offload_threads = 1;
    options.start_gc_scheduler = false;
    auto opened = handlers::Service::open(options);
    check(opened.has_value());
    service = std::move(*opened);
  }
  ~World() {
    service.reset();
    std::error_code ec;
    std::filesystem::remove_all(root, ec);
  }
};

World* world = nullptr;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  world = new World();  // lives until exit: the router is reused by every input
  std::atexit([] { delete world; });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t nl = input.find('\n');
  if (nl == std::string_view::npos)
    return 0;
  server::Request req;
  req.method = std::string(input.substr(0, nl));
  std::string_view target = input.substr(nl + 1);
  req.target = std::string(target);
  size_t q = target.find('?');
  auto path = server::percent_decode(target.substr(0, q));
  req.path = path ? std::move(*path) : std::string(target.substr(0, q));
  if (q != std::string_view::npos)
    req.query = std::string(target.substr(q + 1));

  server::Router::Match m = world->service->router().match(req.method, req.path);
  if (m.handler == nullptr)
    return 0;
  check(m.allowed.empty());
  for (const auto& [name, value] : m.params) {
    // {x} is one non-empty segment; {x...} non-empty segments joined by '/'.
    check(!value.empty() && value.front() != '/' && value.back() != '/');
    check(value.find("//") == std::string::npos);
    check(req.path.find(value) != std::string::npos);
  }
  req.params = m.params;

  if (!req.param("name").empty()) {
    auto name = handlers::repository(req);
    if (name)
      check(metadata::is_valid_repository_name(*name));
  }
  if (!req.param("digest").empty())
    (void)handlers::blob_target(req);
  if (!req.param("reference").empty()) {
    auto target_ok = handlers::manifest_target(req);
    if (target_ok) {
      if (auto* tag = std::get_if<std::string>(&target_ok->ref))
        check(metadata::is_valid_tag(*tag));
    }
  }
  if (auto p = handlers::paging(req, 1000)) {
    check(p->n <= 1000);
    (void)handlers::next_link(req.path, p->n, p->last);
  }
  (void)handlers::digest_query(req, "digest");
  (void)handlers::digest_query(req, "mount");
  (void)req.query_values("from");
  return 0;
}
