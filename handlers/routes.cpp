#include "handlers/routes.h"

#include "handlers/auth.h"
#include "handlers/base.h"
#include "handlers/blobs.h"
#include "handlers/content.h"
#include "handlers/du.h"
#include "handlers/errors.h"
#include "handlers/events.h"
#include "handlers/fsck.h"
#include "handlers/gc.h"
#include "handlers/leases.h"
#include "handlers/listings.h"
#include "handlers/manifests.h"
#include "handlers/metrics.h"
#include "handlers/proxy.h"
#include "handlers/quota.h"
#include "handlers/referrers.h"
#include "handlers/uploads.h"

namespace cairn::handlers {
namespace {

using server::Access;
using server::Request;
using server::Response;
using ApiHandler = boost::asio::awaitable<Answer> (*)(Api&, Request&);

// The boundary between handlers and the server: a handler's Answer becomes the Response the
// server sends, its error rendered with the code's registered status (handlers/errors.h).
boost::asio::awaitable<Response> render_answer(boost::asio::awaitable<Answer> answer) {
  co_return render(co_await std::move(answer));
}
server::Handler rendered(std::function<boost::asio::awaitable<Answer>(Request&)> h) {
  // Not a coroutine itself: the handler's frame holds what it needs, not this closure.
  return [h = std::move(h)](Request& req) { return render_answer(h(req)); };
}

}  // namespace

void add_routes(server::Router& router, Api& api) {
  auto bind = [&api](ApiHandler h) {
    return rendered([&api, h](Request& req) { return h(api, req); });
  };
  // A route whose answers make notification events (handlers/events.h), when any endpoint is
  // configured.
  auto told = [&api, &bind](ApiHandler h, EventRoute route) -> server::Handler {
    if (api.notifier == nullptr)
      return bind(h);
    return rendered([&api, h, route](Request& req) { return with_events(api, req, h, route); });
  };
  // Each route declares what it requires (server::Access): the guard (handlers/auth.h) checks
  // it before the handler runs. pull: reads; push: writes (uploads, manifests, labels, leases);
  // remove: DELETE of blobs and manifests; admin: /_admin; open: no credentials needed.
  // Order matters only where patterns overlap: the more specific first.
  router.add("GET", "/v2/", Access::pull, api_version);
  router.add("HEAD", "/v2/", Access::pull, api_version);
  router.add("GET", "/healthz", Access::open, bind(healthz));
  router.add("GET", "/readyz", Access::open, bind(readyz));
  // Prometheus (handlers/metrics.h): open unless `--metrics admin`; absent with `--metrics off`.
  if (api.metrics != nullptr)
    router.add("GET", "/metrics", api.metrics_admin_only ? Access::admin : Access::open,
               bind(serve_metrics));
  // The token endpoint of the Docker token protocol: GET with Basic credentials (or none),
  // POST with a form (containerd).
  router.add("GET", "/_token", Access::open, bind(issue_token));
  router.add("POST", "/_token", Access::open, bind(issue_token));

  router.add("GET", "/v2/_catalog", Access::pull, bind(list_repositories));

  // Extensions: their fixed words start with '_', which no repository name component can, so
  // they never shadow an OCI route (listed first all the same).
  router.add("GET", "/v2/{name...}/_content/blobs", Access::pull, bind(list_blob_infos));
  router.add("GET", "/v2/{name...}/_content/blobs/{digest}", Access::pull, bind(get_blob_info));
  router.add("PATCH", "/v2/{name...}/_content/blobs/{digest}", Access::push, bind(patch_blob_info));
  router.add("GET", "/v2/{name...}/_content/ingests", Access::pull, bind(list_ingests));
  router.add("GET", "/v2/{name...}/_content/ingests/{ref}", Access::pull, bind(get_ingest));
  router.add("DELETE", "/v2/{name...}/_content/ingests/{ref}", Access::push, bind(cancel_upload));
  router.add("GET", "/v2/{name...}/_labels", Access::pull, bind(get_namespace_labels));
  router.add("PATCH", "/v2/{name...}/_labels", Access::push, bind(patch_namespace_labels));
  router.add("GET", "/v2/{name...}/_quota", Access::pull, bind(get_quota));
  router.add("POST", "/v2/{name...}/_leases", Access::push, bind(create_lease));
  router.add("GET", "/v2/{name...}/_leases", Access::pull, bind(list_leases));
  router.add("GET", "/v2/{name...}/_leases/{id}", Access::pull, bind(get_lease));
  router.add("DELETE", "/v2/{name...}/_leases/{id}", Access::push, bind(delete_lease));
  router.add("GET", "/v2/{name...}/_leases/{id}/resources", Access::pull,
             bind(list_lease_resources));
  router.add("POST", "/v2/{name...}/_leases/{id}/resources", Access::push,
             bind(add_lease_resource));
  router.add("DELETE", "/v2/{name...}/_leases/{id}/resources", Access::push,
             bind(remove_lease_resource));
  router.add("POST", "/_admin/gc", Access::admin, bind(run_gc));
  router.add("GET", "/_admin/gc", Access::admin, bind(last_gc));
  router.add("GET", "/_admin/cache", Access::admin, bind(cache_figures));
  router.add("POST", "/_admin/fsck", Access::admin, bind(start_fsck));
  router.add("GET", "/_admin/fsck", Access::admin, bind(fsck_report));
  router.add("GET", "/_admin/du", Access::admin, bind(disk_usage));

  router.add("POST", "/v2/{name...}/blobs/uploads/", Access::push,
             told(start_upload, EventRoute::blob_push));
  router.add("GET", "/v2/{name...}/blobs/uploads/{ref}", Access::push, bind(upload_progress));
  router.add("PATCH", "/v2/{name...}/blobs/uploads/{ref}", Access::push, bind(patch_upload));
  router.add("PUT", "/v2/{name...}/blobs/uploads/{ref}", Access::push,
             told(finish_upload, EventRoute::blob_push));
  router.add("DELETE", "/v2/{name...}/blobs/uploads/{ref}", Access::push, bind(cancel_upload));
  router.add("GET", "/v2/{name...}/blobs/{digest}", Access::pull,
             told(get_blob, EventRoute::blob_get));
  router.add("HEAD", "/v2/{name...}/blobs/{digest}", Access::pull, bind(get_blob));
  router.add("DELETE", "/v2/{name...}/blobs/{digest}", Access::remove,
             told(delete_blob, EventRoute::blob_delete));
  router.add("PUT", "/v2/{name...}/manifests/{reference}", Access::push,
             told(put_manifest, EventRoute::manifest_put));
  router.add("GET", "/v2/{name...}/manifests/{reference}", Access::pull,
             told(get_manifest, EventRoute::manifest_get));
  router.add("HEAD", "/v2/{name...}/manifests/{reference}", Access::pull, bind(get_manifest));
  router.add("DELETE", "/v2/{name...}/manifests/{reference}", Access::remove,
             told(delete_manifest, EventRoute::manifest_delete));
  router.add("GET", "/v2/{name...}/tags/list", Access::pull, bind(list_tags));
  router.add("GET", "/v2/{name...}/referrers/{digest}", Access::pull, bind(list_referrers));

  if (api.auth != nullptr) {
    router.set_guard(
        [&api](Request& req, Access access) { return api.auth->guard(api.offload, req, access); });
  }

  router.set_not_found(
      [](Request& req) -> boost::asio::awaitable<Response> { co_return route_not_found(req); });
  router.set_method_not_allowed(
      [](Request& req) -> boost::asio::awaitable<Response> { co_return method_not_allowed(req); });
}

}  // namespace cairn::handlers
