// Content extension endpoints (containerd's content service, as JSON), per repository:
//
//   GET    /v2/<name>/_content/blobs[?filter=…&n=&last=]   {"blobs":[Info…]}, Link paging
//   GET    /v2/<name>/_content/blobs/<digest>              Info (404 BLOB_UNKNOWN)
//   PATCH  /v2/<name>/_content/blobs/<digest>[?fieldpaths=labels.a,labels.b]
//                                                          body {"labels":{…}}: with fieldpaths
//                                                          only those keys change (a listed key
//                                                          absent from the body is removed);
//                                                          without, the labels are replaced
//   GET    /v2/<name>/_content/ingests                     {"ingests":[Status…]}
//   GET    /v2/<name>/_content/ingests/<ref>               Status (404 BLOB_UPLOAD_UNKNOWN)
//   DELETE /v2/<name>/_content/ingests/<ref>               abort (204): an ingest is an upload,
//                                                          so this is cancel_upload (uploads.h)
//   GET    /v2/<name>/_labels                              {"labels":{…}} of the repository
//   PATCH  /v2/<name>/_labels[?fieldpaths=…]               as blob labels; returns the new set
#pragma once

#include "handlers/api.h"
#include "handlers/errors.h"
#include "server/http.h"

namespace cairn::handlers {

boost::asio::awaitable<Answer> list_blob_infos(Api& api, server::Request& req);
boost::asio::awaitable<Answer> get_blob_info(Api& api, server::Request& req);
boost::asio::awaitable<Answer> patch_blob_info(Api& api, server::Request& req);
boost::asio::awaitable<Answer> list_ingests(Api& api, server::Request& req);
boost::asio::awaitable<Answer> get_ingest(Api& api, server::Request& req);
boost::asio::awaitable<Answer> get_namespace_labels(Api& api, server::Request& req);
boost::asio::awaitable<Answer> patch_namespace_labels(Api& api, server::Request& req);

}  // namespace cairn::handlers
