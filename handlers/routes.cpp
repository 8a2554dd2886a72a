#include "handlers/routes.h"

#include "handlers/base.h"
#include "handlers/blobs.h"
#include "handlers/errors.h"
#include "handlers/listings.h"
#include "handlers/manifests.h"
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

  router.add("POST", "/v2/{name...}/blobs/uploads/", bind(start_upload));
  router.add("GET", "/v2/{name...}/blobs/uploads/{ref}", bind(upload_progress));
  router.add("PATCH", "/v2/{name...}/blobs/uploads/{ref}", bind(patch_upload));
  router.add("PUT", "/v2/{name...}/blobs/uploads/{ref}", bind(finish_upload));
  router.add("DELETE", "/v2/{name...}/blobs/uploads/{ref}", bind(cancel_upload));
  router.add("GET", "/v2/{name...}/blobs/{digest}", bind(get_blob));
  router.add("HEAD", "/v2/{name...}/blobs/{digest}", bind(head_blob));
  router.add("DELETE", "/v2/{name...}/blobs/{digest}", bind(delete_blob));
  router.add("PUT", "/v2/{name...}/manifests/{reference}", bind(put_manifest));
  router.add("GET", "/v2/{name...}/manifests/{reference}", bind(get_manifest));
  router.add("HEAD", "/v2/{name...}/manifests/{reference}", bind(head_manifest));
  router.add("DELETE", "/v2/{name...}/manifests/{reference}", bind(delete_manifest));
  router.add("GET", "/v2/{name...}/tags/list", bind(list_tags));
  router.add("GET", "/v2/{name...}/referrers/{digest}", bind(list_referrers));

  router.set_not_found(
      [](Request& req) -> boost::asio::awaitable<Response> { co_return route_not_found(req); });
  router.set_method_not_allowed(
      [](Request& req) -> boost::asio::awaitable<Response> { co_return method_not_allowed(req); });
}

}  // namespace cairn::handlers
