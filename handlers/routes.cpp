#include "handlers/routes.h"

#include "handlers/base.h"
#include "handlers/blobs.h"
#include "handlers/content.h"
#include "handlers/errors.h"
#include "handlers/gc.h"
#include "handlers/leases.h"
#include "handlers/listings.h"
#include "handlers/manifests.h"
#include "handlers/proxy.h"
#include "handlers/referrers.h"
#include "handlers/uploads.h"

namespace cairn::handlers {
namespace {

using server::Request;
using server::Response;
using ApiHandler = boost::asio::awaitable<Response> (*)(Api&, Request&);

}  // namespace

void add_routes(server::Router& router, Api& api) {
  auto bind = [&api](ApiHandler h) { return [&api, h](Request& req) { return h(api, req); }; };
  // Order matters only where patterns overlap: the more specific first.
  router.add("GET", "/v2/", api_version);
  router.add("HEAD", "/v2/", api_version);
  router.add("GET", "/healthz", healthz);

  router.add("GET", "/v2/_catalog", bind(list_repositories));

  // Extensions: their fixed words start with '_', which no repository name component can, so
  // they never shadow an OCI route (listed first all the same).
  router.add("GET", "/v2/{name...}/_content/blobs", bind(list_blob_infos));
  router.add("GET", "/v2/{name...}/_content/blobs/{digest}", bind(get_blob_info));
  router.add("PATCH", "/v2/{name...}/_content/blobs/{digest}", bind(patch_blob_info));
  router.add("GET", "/v2/{name...}/_content/ingests", bind(list_ingests));
  router.add("GET", "/v2/{name...}/_content/ingests/{ref}", bind(get_ingest));
  router.add("DELETE", "/v2/{name...}/_content/ingests/{ref}", bind(cancel_upload));
  router.add("GET", "/v2/{name...}/_labels", bind(get_namespace_labels));
  router.add("PATCH", "/v2/{name...}/_labels", bind(patch_namespace_labels));
  router.add("POST", "/v2/{name...}/_leases", bind(create_lease));
  router.add("GET", "/v2/{name...}/_leases", bind(list_leases));
  router.add("GET", "/v2/{name...}/_leases/{id}", bind(get_lease));
  router.add("DELETE", "/v2/{name...}/_leases/{id}", bind(delete_lease));
  router.add("GET", "/v2/{name...}/_leases/{id}/resources", bind(list_lease_resources));
  router.add("POST", "/v2/{name...}/_leases/{id}/resources", bind(add_lease_resource));
  router.add("DELETE", "/v2/{name...}/_leases/{id}/resources", bind(remove_lease_resource));
  router.add("POST", "/_admin/gc", bind(run_gc));
  router.add("GET", "/_admin/gc", bind(last_gc));
  router.add("GET", "/_admin/cache", bind(cache_figures));

  router.add("POST", "/v2/{name...}/blobs/uploads/", bind(start_upload));
  router.add("GET", "/v2/{name...}/blobs/uploads/{ref}", bind(upload_progress));
  router.add("PATCH", "/v2/{name...}/blobs/uploads/{ref}", bind(patch_upload));
  router.add("PUT", "/v2/{name...}/blobs/uploads/{ref}", bind(finish_upload));
  router.add("DELETE", "/v2/{name...}/blobs/uploads/{ref}", bind(cancel_upload));
  router.add("GET", "/v2/{name...}/blobs/{digest}", bind(get_blob));
  router.add("HEAD", "/v2/{name...}/blobs/{digest}", bind(get_blob));
  router.add("DELETE", "/v2/{name...}/blobs/{digest}", bind(delete_blob));
  router.add("PUT", "/v2/{name...}/manifests/{reference}", bind(put_manifest));
  router.add("GET", "/v2/{name...}/manifests/{reference}", bind(get_manifest));
  router.add("HEAD", "/v2/{name...}/manifests/{reference}", bind(get_manifest));
  router.add("DELETE", "/v2/{name...}/manifests/{reference}", bind(delete_manifest));
  router.add("GET", "/v2/{name...}/tags/list", bind(list_tags));
  router.add("GET", "/v2/{name...}/referrers/{digest}", bind(list_referrers));

  router.set_not_found(
      [](Request& req) -> boost::asio::awaitable<Response> { co_return route_not_found(req); });
  router.set_method_not_allowed(
      [](Request& req) -> boost::asio::awaitable<Response> { co_return method_not_allowed(req); });
}

}  // namespace cairn::handlers
