#include "handlers/uploads.h"

#include "handlers/auth.h"
#include "handlers/body.h"
#include "handlers/errors.h"
#include "handlers/params.h"
#include "handlers/quota.h"
#include "handlers/range.h"
#include "handlers/upload_limits.h"
#include "handlers/upload_sessions.h"
#include "handlers/upload_writer.h"
#include "storage/content/local_store.h"
#include "storage/metadata/names.h"

#include <random>

namespace cairn::handlers {
namespace {

using server::Request;
using server::Response;

std::string new_upload_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t hi = rng(), lo = rng();
  hi = (hi & ~0xF000ULL) | 0x4000ULL;                         // version 4
  lo = (lo & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // RFC 4122 variant
  char buf[37];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xFFFF), static_cast<unsigned>(hi & 0xFFFF),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFULL));
  return buf;
}

std::string upload_location(std::string_view name, std::string_view id) {
  return "/v2/" + std::string(name) + "/blobs/uploads/" + std::string(id);
}

std::string range_of(int64_t offset) {
  return "0-" + std::to_string(offset > 0 ? offset - 1 : 0);
}

// The answer while an upload is in progress: 202 (POST, PATCH) or 204 (GET).
Response in_progress(unsigned status, std::string_view name, std::string_view id, int64_t offset) {
  Response res;
  res.status = status;
  res.set("location", upload_location(name, id));
  res.set("range", range_of(offset));
  res.set("docker-upload-uuid", id);
  return res;
}

Response blob_created(std::string_view name, const content::Digest& digest) {
  Response res;
  res.status = 201;
  res.set("location", "/v2/" + std::string(name) + "/blobs/" + digest.str());
  res.set("docker-content-digest", digest.str());
  return res;
}

// The upload id from the route, validated as a ref.
Checked<std::string> upload_id(const Request& req) {
  std::string id(req.param("ref"));
  if (!content::validate_ref(id))
    return OciError(ErrorCode::blob_upload_unknown, "no such upload");
  return id;
}

// Checks a chunk's Content-Range against the upload's offset: nullopt when it fits; 416
// RANGE_INVALID (with the upload's Location and Range) when it does not start at the offset.
std::optional<OciError> check_chunk(const Request& req, std::string_view name, std::string_view id,
                                    int64_t offset) {
  // Without Content-Range the chunk is appended; one present but empty is malformed.
  auto headers = req.header_values("content-range");
  if (headers.empty())
    return std::nullopt;
  auto range = parse_content_range(headers.front());
  if (!range || range->first != static_cast<uint64_t>(offset)) {
    return OciError(ErrorCode::range_invalid,
                    "chunk must start at offset " + std::to_string(offset))
        .with_header("location", upload_location(name, id))
        .with_header("range", range_of(offset))
        .with_header("docker-upload-uuid", std::string(id));
  }
  if (req.content_length && *req.content_length != range->length()) {
    return OciError(ErrorCode::blob_upload_invalid, "Content-Length does not match Content-Range");
  }
  return std::nullopt;
}

// What becomes of an upload whose body or commit failed.
enum class OnFailure {
  park,   // a session the client knows (PUT): it may resume from the offset kept
  abort,  // a one-shot POST ?digest=: the client never learnt its id, so nothing can resume it
};

// Streams the body into the upload, then commits it as `digest`; on failure the upload is
// kept for the client to resume (OnFailure::park: give_back() parks it, or closes it after a
// storage failure) or aborted.
boost::asio::awaitable<Answer> write_and_commit(Api& api, Request& req, UploadWriter& writer,
                                                const content::Digest& digest,
                                                OnFailure on_failure) {
  const metadata::Scope& scope = writer.scope();
  auto fail = [&](const Error& error) -> boost::asio::awaitable<Answer> {
    if (on_failure == OnFailure::park)
      writer.failed(error);
    else
      co_await writer.abort();
    co_return from_error(error, Resource::upload);
  };
  // The quota: refused before the body is read when Content-Length tells the final size,
  // else refused at commit.
  const bool quota = has_quota(api, scope.ns);
  if (quota && req.content_length) {
    auto st = writer->status();
    const int64_t total = (st ? st->offset : 0) + static_cast<int64_t>(*req.content_length);
    auto admitted =
        co_await api.storage.scan([&](Storage& s) { return admit_quota(s, scope, total, digest); });
    if (!admitted)
      co_return co_await fail(admitted.error());
  }
  auto wrote = co_await stream_body(api, req, *writer);
  if (!wrote)
    co_return co_await fail(wrote.error());
  if (quota) {
    auto st = writer->status();
    auto admitted = co_await api.storage.scan([&](Storage& s) -> Result<void> {
      if (!st)
        return st.error();
      return admit_quota(s, scope, st->offset, digest);
    });
    if (!admitted)
      co_return co_await fail(admitted.error());
  }
  auto committed = co_await writer.commit(digest);
  if (!committed)
    co_return co_await fail(committed.error());
  co_return blob_created(scope.ns, digest);
}

// A chunk (PATCH): checked against the upload's offset and the quota, then streamed in.
boost::asio::awaitable<Answer> write_chunk(Api& api, Request& req, std::string_view name,
                                           UploadWriter& writer) {
  auto status = writer->status();
  if (!status)
    co_return from_error(status.error(), Resource::upload);
  if (auto bad = check_chunk(req, name, writer.id(), status->offset))
    co_return *bad;
  // The quota, before the chunk is read: the upload reaches offset + Content-Length (which
  // check_chunk matched against Content-Range when both are sent).
  std::optional<int64_t> end;
  if (req.content_length) {
    end = status->offset + static_cast<int64_t>(*req.content_length);
  } else if (auto cr = req.header_values("content-range"); !cr.empty()) {
    if (auto range = parse_content_range(cr.front()))
      end = static_cast<int64_t>(range->last) + 1;
  }
  if (end && has_quota(api, writer.scope().ns)) {
    const int64_t total = *end;
    auto admitted = co_await api.storage.scan(
        [&](Storage& s) { return admit_quota(s, writer.scope(), total, std::nullopt); });
    if (!admitted)
      co_return from_error(admitted.error(), Resource::upload);
  }
  auto wrote = co_await stream_body(api, req, *writer);
  if (!wrote) {
    writer.failed(wrote.error());
    co_return from_error(wrote.error(), Resource::upload);
  }
  // The 202 says the bytes are there for the client's next request, whichever replica takes it.
  auto synced = co_await api.storage.write([&] { return writer->sync(); });
  if (!synced) {
    writer.failed(synced.error());
    co_return from_error(synced.error(), Resource::upload);
  }
  co_return in_progress(202, name, writer.id(), status->offset + static_cast<int64_t>(*wrote));
}

// The last request (PUT): its chunk, if any, checked against the offset, then the commit.
boost::asio::awaitable<Answer> complete_upload(Api& api, Request& req, std::string_view name,
                                               UploadWriter& writer,
                                               const content::Digest& digest) {
  if (auto status = writer->status()) {
    if (auto bad = check_chunk(req, name, writer.id(), status->offset))
      co_return *bad;
  }
  co_return co_await write_and_commit(api, req, writer, digest, OnFailure::park);
}

}  // namespace

boost::asio::awaitable<Answer> start_upload(Api& api, Request& req) {
  auto name = repository(req);
  if (!name)
    co_return name.error();
  auto scope = co_await scope_of(api, req, *name);
  if (!scope)
    co_return scope.error();
  auto mount = digest_query(req, "mount");
  if (!mount)
    co_return mount.error();
  auto digest = digest_query(req, "digest");
  if (!digest)
    co_return digest.error();
  // ?digest-algorithm= (distribution-spec): the algorithm of the digest the client will commit
  // with. Storage hashes with the commit digest's algorithm whatever the upload started with.
  if (auto alg = req.query_value("digest-algorithm")) {
    if (*alg != "sha256" && *alg != "sha512")
      co_return OciError(
          ErrorCode::digest_invalid,
          "unsupported digest-algorithm '" + alg->substr(0, 64) + "' (sha256 or sha512)");
    if (*digest && content::algorithm_name((*digest)->algorithm()) != *alg)
      co_return OciError(ErrorCode::digest_invalid, "digest and digest-algorithm disagree");
  }

  if (*mount) {
    std::string from = req.query_value("from").value_or("");
    if (!from.empty() && !metadata::is_valid_repository_name(from)) {
      co_return OciError(ErrorCode::name_invalid, "invalid repository name in from");
    }
    // Access (handlers/auth.h): pull on `from`; a blob the caller may not pull is never
    // mounted: the upload falls back to a session that demands the bytes.
    if (co_await may_mount(api, req, **mount, from)) {
      const bool quota = has_quota(api, scope->ns);  // a mount adds the blob's bytes to it
      auto mounted = co_await api.storage.write([&](Storage& s) -> Result<content::Info> {
        if (quota) {
          auto info = s.blobs().info(**mount);
          if (info) {
            if (auto r = admit_quota(s, *scope, info->size, *mount); !r)
              return r.error();
          }
        }
        return s.content().mount(*scope, **mount, from);
      });
      if (mounted) {
        co_await discard_body(req);
        co_return blob_created(*name, **mount);
      }
      if (mounted.error() != Errc::not_found)
        co_return from_error(mounted.error(), Resource::blob);
    }
    // Not mountable: fall back to a plain upload session, as the spec asks.
  }

  std::string id = new_upload_id();
  // The expected digest lets storage link a blob it knows elsewhere without its bytes: only
  // for a caller who may see every blob (handlers/auth.h); others have their bytes checked.
  content::WriterOptions opts{id, 0, may_share_blobs(api, req) ? *digest : std::nullopt};
  if (*digest && req.content_length)
    opts.total = static_cast<int64_t>(*req.content_length);
  std::string refused;
  const bool quota = *digest && req.content_length && has_quota(api, scope->ns);
  auto writer =
      co_await api.storage.write([&](Storage& s) -> Result<std::unique_ptr<content::Writer>> {
        // A monolithic push over the quota is refused before any ingest (or byte) exists.
        if (quota) {
          if (auto r = admit_quota(s, *scope, static_cast<int64_t>(*req.content_length), *digest);
              !r)
            return r.error();
        }
        auto opened = s.content().writer(*scope, opts);
        if (!opened)
          return opened;  // known content (already_exists) opens nothing, so needs no room
        auto admitted = api.upload_limits.admit(scope->ns);
        if (!admitted || !admitted->empty()) {
          opened->reset();
          (void)s.content().abort(*scope, id);
          if (!admitted)
            return admitted.error();
          refused = std::move(*admitted);
          return fail(Errc::unavailable, refused);
        }
        // No new upload below --min-free-bytes: the room left is for metadata, deletes and GC.
        if (auto room = s.space().check(0); !room) {
          opened->reset();
          (void)s.content().abort(*scope, id);
          return room.error();
        }
        return opened;
      });
  if (!refused.empty()) {
    co_return OciError(ErrorCode::too_many_requests, refused).with_header("retry-after", "1");
  }
  if (!writer) {
    if (*digest && writer.error() == Errc::already_exists) {  // monolithic push of known content
      co_await discard_body(req);
      co_return blob_created(*name, **digest);
    }
    co_return from_error(writer.error(), Resource::upload);
  }
  // Each request gives its upload's writer back once, as it answers (handlers/upload_writer.h).
  UploadWriter upload(api, *scope, id, std::move(*writer));
  Answer answer = in_progress(202, *name, id, 0);
  if (*digest)
    answer = co_await write_and_commit(api, req, upload, **digest, OnFailure::abort);
  else
    co_await discard_body(req);
  co_await upload.give_back();
  co_return answer;
}

boost::asio::awaitable<Answer> patch_upload(Api& api, Request& req) {
  auto name = repository(req);
  if (!name)
    co_return name.error();
  auto id = upload_id(req);
  if (!id)
    co_return id.error();
  auto scope = co_await scope_of(api, req, *name);
  if (!scope)
    co_return scope.error();
  auto upload = co_await UploadWriter::resume(api, *scope, *id);
  if (!upload)
    co_return upload.error();
  Answer answer = co_await write_chunk(api, req, *name, *upload);
  co_await upload->give_back();
  co_return answer;
}

boost::asio::awaitable<Answer> finish_upload(Api& api, Request& req) {
  auto name = repository(req);
  if (!name)
    co_return name.error();
  auto id = upload_id(req);
  if (!id)
    co_return id.error();
  auto digest = digest_query(req, "digest");
  if (!digest)
    co_return digest.error();
  if (!*digest)
    co_return OciError(ErrorCode::digest_invalid, "the digest query parameter is required");
  auto scope = co_await scope_of(api, req, *name);
  if (!scope)
    co_return scope.error();
  auto upload = co_await UploadWriter::resume(api, *scope, *id);
  if (!upload)
    co_return upload.error();
  Answer answer = co_await complete_upload(api, req, *name, *upload, **digest);
  co_await upload->give_back();
  co_return answer;
}

boost::asio::awaitable<Answer> upload_progress(Api& api, Request& req) {
  auto name = repository(req);
  if (!name)
    co_return name.error();
  auto id = upload_id(req);
  if (!id)
    co_return id.error();
  metadata::Scope scope{*name, {}};
  // The status reads the ingest's files and removes a broken one.
  auto status =
      co_await api.storage.write([&](Storage& s) { return s.content().status(scope, *id); });
  if (!status)
    co_return from_error(status.error(), Resource::upload);
  co_return in_progress(204, *name, *id, status->offset);
}

boost::asio::awaitable<Answer> cancel_upload(Api& api, Request& req) {
  auto name = repository(req);
  if (!name)
    co_return name.error();
  auto id = upload_id(req);
  if (!id)
    co_return id.error();
  metadata::Scope scope{*name, {}};
  auto aborted = co_await api.storage.write([&](Storage& s) {
    api.uploads.drop(scope.ns, *id);
    return s.content().abort(scope, *id);
  });
  if (!aborted)
    co_return from_error(aborted.error(), Resource::upload);
  Response res;
  res.status = 204;
  co_return res;
}

}  // namespace cairn::handlers
