// Events: what the API routes tell the notifier (notify/notifier.h) after they answered. A route
// whose answer is a success publishes one event per thing it pushed, pulled or deleted, in
// Distribution's shape: manifest PUT (one push per tag it set, or one without a tag), manifest
// GET and blob GET (pull; HEAD is no pull), blob commit (POST with ?digest=, a mount, PUT of an
// upload: push), DELETE of a manifest, tag or blob (delete).
#pragma once

#include "handlers/api.h"
#include "handlers/errors.h"
#include "server/http.h"

#include <boost/asio/any_io_executor.hpp>

namespace cairn::handlers {

// Which route answered.
enum class EventRoute {
  manifest_put,
  manifest_get,
  manifest_delete,
  blob_get,
  blob_push,
  blob_delete
};

// Publishes the events answer `res` to `req` stands for, when the answer is a success and an
// endpoint wants them; nothing when api.notifier is null. Never blocks the caller: the size of a
// pushed blob (which the answer does not carry) is looked up on the offload pool, and the event
// is published from there. `executor`: the calling coroutine's (the senders run on its
// io_context).
void publish_events(Api& api, const server::Request& req, const server::Response& res,
                    EventRoute route, const boost::asio::any_io_executor& executor);

// Runs handler `h` and publishes the events of its answer (the route table wraps the routes
// above with it when notifications are configured).
boost::asio::awaitable<Answer> with_events(Api& api, server::Request& req,
                                           boost::asio::awaitable<Answer> (*h)(Api&,
                                                                               server::Request&),
                                           EventRoute route);

}  // namespace cairn::handlers
