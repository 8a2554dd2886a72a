#include "s3/bucket.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_future.hpp>

#include <future>
#include <thread>

namespace cairn::s3 {
namespace asio = boost::asio;

struct Bucket::Impl {
  explicit Impl(BucketLocation l)
      : location(std::move(l)), client(std::make_unique<Client>(location.config)) {
    thread = std::thread([this] { ioc.run(); });
  }
  ~Impl() {
    // The client's idle connections are sockets of this io_context: closed on its thread.
    run_void([this] { client.reset(); });
    work.reset();
    thread.join();
  }

  // Runs `make()`'s coroutine on the adapter's thread and waits for its result.
  template <class Make>
  auto run(Make make) {
    return asio::co_spawn(ioc, make(), asio::use_future).get();
  }
  // Runs `fn` on the adapter's thread and waits for it.
  template <class Fn>
  void run_void(Fn fn) {
    std::promise<void> done;
    asio::post(ioc, [&] {
      fn();
      done.set_value();
    });
    done.get_future().wait();
  }

  BucketLocation location;
  asio::io_context ioc;
  asio::executor_work_guard<asio::io_context::executor_type> work{ioc.get_executor()};
  std::unique_ptr<Client> client;
  std::thread thread;
};

namespace {

// A GET's body, read on the adapter's thread in the caller's pieces.
class Stream final : public content::ObjectStream {
 public:
  Stream(std::shared_ptr<Bucket::Impl> impl, std::unique_ptr<ObjectReader> reader)
      : impl_(std::move(impl)), reader_(std::move(reader)) {}
  ~Stream() override {
    // Its connection belongs to the adapter's io_context.
    impl_->run_void([this] { reader_.reset(); });
  }
  // Fills `buf` (or reads to the end) in one trip to the adapter's thread: a socket read
  // brings at most 64 KiB, and a trip per read_some made a 1 MiB piece 16 thread hand-offs.
  Result<size_t> read(std::span<std::byte> buf) override {
    return impl_->run([&]() -> asio::awaitable<Result<size_t>> {
      size_t got = 0;
      while (got < buf.size()) {
        auto n = co_await reader_->read_some(buf.subspan(got));
        if (!n) {
          if (got > 0)
            break;  // what arrived first; the next read reports the error
          co_return n.error();
        }
        if (*n == 0)
          break;
        got += *n;
      }
      co_return got;
    });
  }

 private:
  std::shared_ptr<Bucket::Impl> impl_;
  std::unique_ptr<ObjectReader> reader_;
};

}  // namespace

Result<BucketLocation> parse_location(std::string_view uri, std::string access_key,
                                      std::string secret_key) {
  constexpr std::string_view kScheme = "s3://";
  auto bad = [&](std::string_view why) {
    return fail(Errc::invalid_argument,
                "--blobs " + std::string(uri) + ": " + std::string(why) +
                    " (want s3://BUCKET[/PREFIX]?endpoint=http://HOST:PORT&region=R)");
  };
  if (!uri.starts_with(kScheme))
    return bad("not an s3:// URI");
  std::string_view rest = uri.substr(kScheme.size());
  std::string_view query;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  BucketLocation l;
  const auto slash = rest.find('/');
  l.bucket = std::string(rest.substr(0, slash));
  if (slash != std::string_view::npos)
    l.prefix = std::string(rest.substr(slash + 1));
  while (!l.prefix.empty() && l.prefix.back() == '/')
    l.prefix.pop_back();
  // S3's bucket naming rules (3-63 of lowercase letters, digits, '.' and '-').
  if (l.bucket.size() < 3 || l.bucket.size() > 63 ||
      l.bucket.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-") != std::string::npos)
    return bad("the bucket name must be 3 to 63 lowercase letters, digits, '.' or '-'");
  if (l.prefix.starts_with('/') || l.prefix.find("//") != std::string::npos)
    return bad("the prefix has an empty path segment");
  while (!query.empty()) {
    const auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos)
      return bad("a query parameter without '='");
    std::string_view name = pair.substr(0, eq), value = pair.substr(eq + 1);
    if (name == "endpoint")
      l.config.endpoint = std::string(value);
    else if (name == "region")
      l.config.region = std::string(value);
    else
      return bad("unknown parameter '" + std::string(name) + "'");
  }
  if (l.config.endpoint.empty())
    return bad("endpoint= is required");
  if (!l.config.endpoint.starts_with("http://") && !l.config.endpoint.starts_with("https://"))
    return bad("the endpoint must be an http:// or https:// URL");
  if (access_key.empty() || secret_key.empty())
    return bad("no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  l.config.credentials = {std::move(access_key), std::move(secret_key)};
  return l;
}

Bucket::Bucket(BucketLocation location) : impl_(std::make_shared<Impl>(std::move(location))) {}

Bucket::~Bucket() = default;

std::optional<std::string> Bucket::presign_get(std::string_view key,
                                               std::chrono::seconds expires) const {
  return impl_->client->presign_get(impl_->location.bucket, full_key(key), expires);
}

std::string Bucket::full_key(std::string_view key) const {
  const std::string& prefix = impl_->location.prefix;
  return prefix.empty() ? std::string(key) : prefix + "/" + std::string(key);
}

Result<void> Bucket::create() {
  return impl_->run([&] { return impl_->client->create_bucket(impl_->location.bucket); });
}

Result<void> Bucket::put(std::string_view key, std::string body) {
  auto r = impl_->run([&] {
    return impl_->client->put_object(impl_->location.bucket, full_key(key), std::move(body));
  });
  if (!r)
    return r.error();
  return {};
}

Result<uint64_t> Bucket::size(std::string_view key) {
  auto r =
      impl_->run([&] { return impl_->client->head_object(impl_->location.bucket, full_key(key)); });
  if (!r)
    return r.error();
  return r->size;
}

Result<std::unique_ptr<content::ObjectStream>> Bucket::get(std::string_view key, uint64_t offset,
                                                           std::optional<uint64_t> length) {
  std::optional<ByteRange> range;
  if (offset > 0 || length)
    range = ByteRange{offset, length};
  auto r = impl_->run(
      [&] { return impl_->client->get_object(impl_->location.bucket, full_key(key), range); });
  if (!r)
    return r.error();
  return std::unique_ptr<content::ObjectStream>(std::make_unique<Stream>(impl_, std::move(*r)));
}

Result<void> Bucket::remove(std::string_view key) {
  return impl_->run(
      [&] { return impl_->client->delete_object(impl_->location.bucket, full_key(key)); });
}

Result<void> Bucket::copy(std::string_view from, std::string_view to) {
  auto r = impl_->run([&] {
    return impl_->client->copy_object(impl_->location.bucket, full_key(from),
                                      impl_->location.bucket, full_key(to));
  });
  if (!r)
    return r.error();
  return {};
}

Result<void> Bucket::list(std::string_view prefix,
                          const std::function<bool(const content::ObjectEntry&)>& fn) {
  const std::string full = full_key(prefix);
  const size_t strip = full.size() - prefix.size();
  std::string token;
  for (;;) {
    auto page = impl_->run(
        [&] { return impl_->client->list_objects(impl_->location.bucket, full, token); });
    if (!page)
      return page.error();
    for (const ListedObject& o : page->objects) {
      if (o.key.size() < strip)
        continue;
      if (!fn(content::ObjectEntry{o.key.substr(strip), o.size}))
        return {};
    }
    if (!page->truncated)
      return {};
    if (page->next_token.empty())
      return fail(Errc::io, "S3 listing is truncated without a continuation token");
    token = page->next_token;
  }
}

Result<std::string> Bucket::start_multipart(std::string_view key) {
  return impl_->run([&] {
    return impl_->client->create_multipart_upload(impl_->location.bucket, full_key(key));
  });
}

Result<std::string> Bucket::put_part(std::string_view key, std::string_view upload_id, int number,
                                     std::string body) {
  return impl_->run([&] {
    return impl_->client->upload_part(impl_->location.bucket, full_key(key), std::string(upload_id),
                                      number, std::move(body));
  });
}

Result<void> Bucket::complete_multipart(std::string_view key, std::string_view upload_id,
                                        std::vector<content::UploadedPart> parts) {
  std::vector<Part> out;
  out.reserve(parts.size());
  for (auto& p : parts)
    out.push_back(Part{p.number, std::move(p.etag)});
  return impl_->run([&] {
    return impl_->client->complete_multipart_upload(impl_->location.bucket, full_key(key),
                                                    std::string(upload_id), std::move(out));
  });
}

Result<void> Bucket::abort_multipart(std::string_view key, std::string_view upload_id) {
  return impl_->run([&] {
    return impl_->client->abort_multipart_upload(impl_->location.bucket, full_key(key),
                                                 std::string(upload_id));
  });
}

}  // namespace cairn::s3
