#include "handlers/events.h"

#include "handlers/auth.h"
#include "notify/notifier.h"
#include "storage/content/digest.h"

#include <boost/asio/this_coro.hpp>

#include <algorithm>
#include <memory>

namespace cairn::handlers {

using server::Request;
using server::Response;

namespace {

constexpr std::string_view kBlobMediaType = "application/octet-stream";

// The part every event of a request shares: who asked, from where, for which repository.
notify::Event base_event(const Request& req, notify::Action action) {
  notify::Event e;
  e.id = notify::new_event_id();
  e.timestamp = std::chrono::system_clock::now();
  e.action = action;
  e.target.repository = std::string(req.param("name"));
  e.request.id = req.request_id;
  e.request.addr = req.remote_addr;
  e.request.host = std::string(req.header("host"));
  e.request.method = req.method;
  e.request.useragent = std::string(req.header("user-agent"));
  if (auto* grant = dynamic_cast<const Grant*>(req.caller.get()); grant && grant->user)
    e.actor = *grant->user;
  else
    e.actor = req.tls_client_user;
  return e;
}

// "http[s]://HOST/v2/<name>/<kind>/<digest>": where a client fetches the target.
std::string target_url(const Request& req, std::string_view kind, const std::string& digest) {
  std::string host(req.header("host"));
  if (host.empty() || digest.empty())
    return "";
  return std::string(req.tls ? "https://" : "http://") + host + "/v2/" +
         std::string(req.param("name")) + "/" + std::string(kind) + "/" + digest;
}

// The size of the answer's content: Content-Length announced, else the file or body size.
int64_t answer_size(const Response& res) {
  if (res.content_length)
    return static_cast<int64_t>(*res.content_length);
  if (res.file)
    return static_cast<int64_t>(res.file->length);
  return static_cast<int64_t>(res.body.size());
}

bool is_digest(std::string_view reference) {
  return reference.find(':') != std::string_view::npos;
}

// The tags a manifest PUT set: its reference when a tag, and each ?tag= (PUT by digest).
std::vector<std::string> put_tags(const Request& req) {
  std::vector<std::string> tags;
  std::string_view ref = req.param("reference");
  if (!is_digest(ref))
    tags.emplace_back(ref);
  for (auto& t : req.query_values("tag")) {
    if (std::find(tags.begin(), tags.end(), t) == tags.end())
      tags.push_back(std::move(t));
  }
  return tags;
}

}  // namespace

void publish_events(Api& api, const Request& req, const Response& res, EventRoute route,
                    const boost::asio::any_io_executor& executor) {
  notify::Notifier* n = api.notifier;
  if (n == nullptr || res.status < 200 || res.status >= 300)
    return;
  const std::string digest(res.header("docker-content-digest"));
  std::string_view ref = req.param("reference");
  switch (route) {
    case EventRoute::manifest_put: {
      if (!n->wants(notify::Action::push))
        return;
      notify::Event e = base_event(req, notify::Action::push);
      e.target.digest = digest;
      e.target.media_type = std::string(req.header("content-type"));
      e.target.size = static_cast<int64_t>(req.body->consumed());
      e.target.url = target_url(req, "manifests", digest);
      auto tags = put_tags(req);
      if (tags.empty()) {
        n->publish(std::move(e), executor);
        return;
      }
      for (auto& tag : tags) {
        notify::Event each = e;
        each.id = notify::new_event_id();
        each.target.tag = std::move(tag);
        n->publish(std::move(each), executor);
      }
      return;
    }
    case EventRoute::manifest_get:
    case EventRoute::blob_get: {
      if (req.method != "GET" || !n->wants(notify::Action::pull))
        return;
      notify::Event e = base_event(req, notify::Action::pull);
      const bool manifest = route == EventRoute::manifest_get;
      e.target.digest = manifest ? digest : std::string(req.param("digest"));
      e.target.media_type =
          manifest ? std::string(res.header("content-type")) : std::string(kBlobMediaType);
      e.target.size = answer_size(res);
      e.target.url = target_url(req, manifest ? "manifests" : "blobs", e.target.digest);
      if (manifest && !is_digest(ref))
        e.target.tag = std::string(ref);
      n->publish(std::move(e), executor);
      return;
    }
    case EventRoute::manifest_delete:
    case EventRoute::blob_delete: {
      if (!n->wants(notify::Action::remove))
        return;
      notify::Event e = base_event(req, notify::Action::remove);
      if (route == EventRoute::blob_delete)
        e.target.digest = std::string(req.param("digest"));
      else if (is_digest(ref))
        e.target.digest = std::string(ref);
      else
        e.target.tag = std::string(ref);
      n->publish(std::move(e), executor);
      return;
    }
    case EventRoute::blob_push: {
      if (!n->wants(notify::Action::push) || digest.empty())
        return;
      auto parsed = content::Digest::parse(digest);
      if (!parsed)
        return;
      auto e = std::make_shared<notify::Event>(base_event(req, notify::Action::push));
      e->target.digest = digest;
      e->target.media_type = std::string(kBlobMediaType);
      e->target.url = target_url(req, "blobs", digest);
      // The answer does not carry the blob's size: read it off the I/O thread, then publish.
      Api* a = &api;
      api.storage.post([a, e, d = std::move(*parsed), executor](Storage& s) noexcept {
        try {
          auto info = s.content().info({e->target.repository, {}}, d);
          if (info)
            e->target.size = info->size;
          a->notifier->publish(std::move(*e), executor);
        } catch (...) {
          // An allocation failure costs this event only.
        }
      });
      return;
    }
  }
}

boost::asio::awaitable<Answer> with_events(Api& api, Request& req,
                                           boost::asio::awaitable<Answer> (*h)(Api&, Request&),
                                           EventRoute route) {
  Answer res = co_await h(api, req);
  if (res)  // an error is no event
    publish_events(api, req, *res, route, co_await boost::asio::this_coro::executor);
  co_return res;
}

}  // namespace cairn::handlers
