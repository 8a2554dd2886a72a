#include "handlers/service.h"

#include "handlers/routes.h"

#include <algorithm>

namespace cairn::handlers {

Result<std::unique_ptr<Service>> Service::open(ServiceOptions options) {
  auto storage = Storage::open(options.root, options.storage);
  if (!storage)
    return storage.error();
  std::unique_ptr<Service> s(new Service());
  s->storage_ = std::move(*storage);
  // With metadata or blobs across the network (PostgreSQL, S3) the pool's threads spend their
  // time waiting for round trips, not computing: as many as the S3 client has connections
  // (s3::Bucket: 16), so that small GETs (manifests, configs) overlap as the clients' requests
  // do. Measured (cairn-load, 64 connections, RGW + PostgreSQL, 3 s): GET manifest 80 -> 285
  // req/s, 64 KiB range GETs 430 -> 626 req/s, with 4 threads and with 16.
  const bool remote = !options.storage.metadata_uri.empty() || options.storage.blob_bucket;
  options.offload_threads = std::max<size_t>(options.offload_threads, remote ? 16 : 0);
  s->offload_ = std::make_unique<server::Offloader>(options.offload_threads);
  // Writers hash large pieces on the pool while they write them (content/shared_job.h): a push
  // then runs at the speed of the slower of the two, not of both in turn.
  if (auto* tree = s->storage_->local_blobs()) {
    tree->set_off_thread(
        [pool = s->offload_.get()](std::function<void()> job) { pool->post(std::move(job)); });
  }
  s->uploads_ =
      std::make_unique<UploadSessions>(1024, std::chrono::minutes(10), s->storage_->clock());
  s->upload_limits_ =
      std::make_unique<UploadLimits>(s->storage_->content(), options.api.max_uploads_per_repository,
                                     options.api.max_uploads, s->storage_->clock());
  AsyncStorageOptions async_options = options.async_storage;
  // Metadata or blobs across the network: a point read is a round trip, so it never runs on an
  // I/O thread.
  if (remote)
    async_options.inline_lookups = false;
  s->async_ = std::make_unique<AsyncStorage>(*s->storage_, *s->offload_, async_options);
  s->api_ = std::make_unique<Api>(
      Api{*s->async_, *s->offload_, *s->uploads_, *s->upload_limits_, options.api});
  s->api_->park_writers = s->storage_->local_blobs() != nullptr;
  s->auth_ = std::move(options.auth);
  s->api_->auth = s->auth_.get();
  if (!options.cache.upstreams.empty()) {
    s->cache_ = std::make_unique<proxy::Cache>(*s->storage_, *s->async_, std::move(options.cache));
    s->api_->cache = s->cache_.get();
  }
  options.fsck.grace = options.storage.gc.grace;
  const bool scrub = options.fsck.scrub_interval.count() > 0;
  s->fsck_ = std::make_unique<fsck::Runner>(*s->storage_, std::move(options.fsck));
  s->api_->fsck = s->fsck_.get();
  if (!options.notifications.endpoints.empty()) {
    auto notifier = notify::Notifier::create(std::move(options.notifications));
    if (!notifier)
      return notifier.error();
    s->notifier_ = std::move(*notifier);
    s->api_->notifier = s->notifier_.get();
  }
  if (options.metrics.enabled) {
    s->metrics_ =
        std::make_unique<metrics::Metrics>(*s->storage_, *s->offload_, options.offload_threads,
                                           s->cache_.get(), s->notifier_.get(), options.metrics);
    s->api_->metrics = s->metrics_.get();
    s->api_->metrics_admin_only = options.metrics.admin_only;
  }
  add_routes(s->router_, *s->api_);
  if (options.start_gc_scheduler)
    s->storage_->gc().start();
  if (scrub)
    s->fsck_->start();
  return s;
}

void Service::stop() {
  if (auto* tree = storage_->local_blobs())
    tree->set_off_thread(nullptr);  // writers still open hash on their own thread
  offload_->shutdown();
  if (cache_)
    cache_->close_idle_connections();
  if (notifier_)
    notifier_->stop();
}

Service::~Service() {
  // The scheduler stops first (a collection in progress finishes); parked writers close
  // before the stores they write to.
  if (storage_) {
    storage_->gc().stop();
    if (auto* tree = storage_->local_blobs())
      tree->set_off_thread(nullptr);  // before the pool goes
  }
  if (fsck_)
    fsck_->stop();  // a check in progress is cancelled
  uploads_.reset();
  offload_.reset();
  cache_.reset();
  metrics_.reset();   // after the pool and the scheduler: no metadata write is left to observe
  notifier_.reset();  // senders still queued on the io_context hold what they use
}

}  // namespace cairn::handlers
