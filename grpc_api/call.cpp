#include "grpc_api/call.h"

namespace cairn::grpc_api {

namespace {

std::string header(const grpc::CallbackServerContext& ctx, std::string_view key) {
  const auto& md = ctx.client_metadata();
  auto it = md.find(grpc::string_ref(key.data(), key.size()));
  if (it == md.end())
    return {};
  return std::string(it->second.data(), it->second.size());
}

}  // namespace

metadata::Scope scope_of(const grpc::CallbackServerContext& ctx, std::string_view default_ns) {
  metadata::Scope scope{header(ctx, kNamespaceHeader), header(ctx, kLeaseHeader)};
  if (scope.ns.empty())
    scope.ns = std::string(default_ns);
  return scope;
}

grpc::Status to_status(const Error& e) {
  using grpc::StatusCode;
  StatusCode code = StatusCode::INTERNAL;
  switch (e.code) {
    case Errc::not_found:
      code = StatusCode::NOT_FOUND;
      break;
    case Errc::already_exists:
      code = StatusCode::ALREADY_EXISTS;
      break;
    case Errc::invalid_argument:
      code = StatusCode::INVALID_ARGUMENT;
      break;
    case Errc::failed_precondition:
    case Errc::digest_mismatch:
    case Errc::size_mismatch:
      code = StatusCode::FAILED_PRECONDITION;
      break;
    case Errc::range_invalid:
      code = StatusCode::OUT_OF_RANGE;
      break;
    case Errc::unavailable:
      code = StatusCode::UNAVAILABLE;
      break;
    case Errc::no_space:
      code = StatusCode::RESOURCE_EXHAUSTED;
      break;
    case Errc::denied:
      code = StatusCode::PERMISSION_DENIED;
      break;
    case Errc::io:
    case Errc::internal:
      code = StatusCode::INTERNAL;
      break;
  }
  return grpc::Status(code, e.detail.empty() ? std::string(errc_name(e.code)) : e.detail);
}

void set_time(google::protobuf::Timestamp* out, Timestamp t) {
  const int64_t nanos = to_unix_nanos(t);
  int64_t seconds = nanos / 1'000'000'000;
  int64_t rest = nanos % 1'000'000'000;
  if (rest < 0) {  // protobuf's nanos are never negative
    rest += 1'000'000'000;
    --seconds;
  }
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>(rest));
}

Timestamp from_proto(const google::protobuf::Timestamp& t) {
  return from_unix_nanos(t.seconds() * 1'000'000'000 + t.nanos());
}

content::Labels labels_of(const google::protobuf::Map<std::string, std::string>& in) {
  content::Labels out;
  for (const auto& [k, v] : in)
    out.emplace(k, v);
  return out;
}

void set_labels(google::protobuf::Map<std::string, std::string>* out, const content::Labels& in) {
  for (const auto& [k, v] : in)
    (*out)[k] = v;
}

}  // namespace cairn::grpc_api
