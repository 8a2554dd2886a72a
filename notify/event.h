// Event: one thing that happened to a repository's content (a push, a pull, a delete), told to
// notification endpoints in the JSON shape CNCF Distribution sends ("Work with notifications"):
// envelopes `{"events":[…]}` of media type application/vnd.docker.distribution.events.v1+json,
// each event
//
//   {"id", "timestamp", "action": "push"|"pull"|"delete",
//    "target": {"mediaType", "digest", "size", "length", "repository", "url", "tag"},
//    "request": {"id", "addr", "host", "method", "useragent"},
//    "actor": {"name"}, "source": {"addr", "instanceID"}}
//
// Fields with nothing to say are left out (a tag on a push by digest, a digest on the delete of
// a tag, an actor without authentication). Plain values: no Asio, no I/O.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace cairn::notify {

inline constexpr std::string_view kEnvelopeMediaType =
    "application/vnd.docker.distribution.events.v1+json";

enum class Action { push, pull, remove };

// "push", "pull", "delete".
std::string_view action_name(Action action) noexcept;
// The inverse of action_name; nullopt for anything else.
std::optional<Action> parse_action(std::string_view name) noexcept;

struct Target {
  std::string media_type;
  std::string digest;           // empty: none (the delete of a tag)
  std::optional<int64_t> size;  // bytes; also sent as "length", as Distribution does
  std::string repository;
  std::string url;  // where the target is fetched: "http://HOST/v2/<repo>/manifests/<digest>"
  std::string tag;  // empty: none
};

// The HTTP request that caused the event.
struct RequestInfo {
  std::string id;
  std::string addr;  // the client's address, "IP:PORT"
  std::string host;  // the Host header
  std::string method;
  std::string useragent;
};

// Who caused the event, and which cairn instance saw it.
struct Source {
  std::string addr;         // the instance's listen address, "HOST:PORT"
  std::string instance_id;  // random, made at start-up
};

struct Event {
  std::string id;  // unique (new_event_id)
  std::chrono::system_clock::time_point timestamp;
  Action action = Action::push;
  Target target;
  RequestInfo request;
  std::string actor;  // the authenticated user; empty: anonymous
};

// A random identifier (a version 4 UUID) for an event or an instance.
std::string new_event_id();

// One event as JSON text (an object), with `source`. Never throws for any input (strings that
// are not UTF-8 are sent with their bad bytes replaced).
std::string event_json(const Event& event, const Source& source);

// The envelope around events already rendered by event_json: `{"events":[e1,e2,…]}`.
std::string envelope(std::span<const std::string> events);

}  // namespace cairn::notify
