#include "storage/gc/scheduler.h"

#include <algorithm>

namespace cairn::gc {

// The database keeps its callbacks for ever; they reach the scheduler through this, which the
// scheduler detaches in its destructor.
struct Scheduler::Sink {
  std::mutex mutex;
  Scheduler* scheduler = nullptr;
};

Scheduler::Scheduler(Collector& collector, metadata::Database& db, SchedulerOptions options)
    : collector_(collector),
      db_(db),
      options_(options),
      clock_(options.clock != nullptr ? *options.clock : db.clock()),
      sink_(std::make_shared<Sink>()) {
  if (!(options_.pause_ratio > 0.0 && options_.pause_ratio <= 0.5))
    options_.pause_ratio = 0.02;
  if (options_.interval <= std::chrono::nanoseconds(0))
    options_.interval = std::chrono::seconds(1);
  next_due_ = clock_.now() + options_.startup_delay;
  sink_->scheduler = this;
  db_.on_mutation([sink = sink_](bool dirty) {
    std::lock_guard lock(sink->mutex);
    if (sink->scheduler != nullptr)
      sink->scheduler->on_mutation(dirty);
  });
}

Scheduler::~Scheduler() {
  stop();
  std::lock_guard lock(sink_->mutex);
  sink_->scheduler = nullptr;
}

void Scheduler::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable())
    return;
  stopping_ = false;
  next_due_ = clock_.now() + options_.startup_delay;
  thread_ = std::thread([this] { loop(); });
}

void Scheduler::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id())
    thread_.join();
}

void Scheduler::on_mutation(bool dirty) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    ++mutations_;
    if (dirty)
      ++deletions_;
    const bool over =
        (options_.mutation_threshold > 0 && mutations_ >= options_.mutation_threshold) ||
        (options_.deletion_threshold > 0 && deletions_ >= options_.deletion_threshold);
    if (over) {
      const Timestamp at = std::max(clock_.now() + options_.schedule_delay, earliest_locked());
      if (at < next_due_) {
        next_due_ = at;
        wake = true;
      }
    }
  }
  if (wake)
    wake_.notify_all();
}

std::chrono::nanoseconds Scheduler::gap_locked() const {
  if (collections_ == 0)
    return std::chrono::nanoseconds(0);
  const double avg = static_cast<double>(total_time_.count()) / static_cast<double>(collections_);
  return std::chrono::nanoseconds(static_cast<int64_t>(avg / options_.pause_ratio - avg));
}

Timestamp Scheduler::earliest_locked() const {
  return last_end_ ? *last_end_ + gap_locked() : Timestamp{};
}

bool Scheduler::tick() {
  {
    std::lock_guard lock(mutex_);
    const Timestamp now = clock_.now();
    if (now < next_due_)
      return false;
    const bool needed =
        !last_end_ || deletions_ > 0 || db_.dirty() ||
        (options_.mutation_threshold > 0 && mutations_ >= options_.mutation_threshold) ||
        (retention_ != nullptr && !retention_->empty() &&
         now - *last_end_ >= options_.retention_interval);
    if (!needed) {
      next_due_ = std::max(now + options_.interval, earliest_locked());
      return false;
    }
  }
  return static_cast<bool>(run(/*scheduled=*/true));
}

Result<GcStats> Scheduler::run_now() {
  return run(/*scheduled=*/false);
}

void Scheduler::set_retention(Retention* retention) {
  std::lock_guard lock(mutex_);
  retention_ = retention;
}

Result<RetentionReport> Scheduler::retention_dry_run() {
  std::lock_guard run_lock(run_mutex_);
  if (retention_ == nullptr) {
    RetentionReport empty;
    empty.dry_run = true;
    return empty;
  }
  return retention_->apply(/*dry_run=*/true);
}

Result<GcStats> Scheduler::run(bool scheduled) {
  std::lock_guard run_lock(run_mutex_);
  // Retention first, so the collector sweeps what it untagged in the same run; its own
  // changes are counted below as seen, so they do not schedule another run.
  RetentionReport retention;
  if (retention_ != nullptr && !retention_->empty()) {
    auto applied = retention_->apply();
    if (!applied) {
      std::lock_guard lock(mutex_);
      if (scheduled)
        next_due_ = clock_.now() + std::max(gap_locked(), options_.interval);
      return applied.error();
    }
    retention = std::move(*applied);
  }
  size_t seen_mutations = 0;
  size_t seen_deletions = 0;
  {
    std::lock_guard lock(mutex_);
    seen_mutations = mutations_;
    seen_deletions = deletions_;
  }
  auto stats = collector_.collect();
  std::lock_guard lock(mutex_);
  // Retention's changes are done whether or not the collection that follows succeeds.
  totals_.retention_removed_tags += retention.removed_tags;
  totals_.retention_removed_manifests += retention.removed_manifests;
  if (stats)
    stats->retention = std::move(retention);
  const Timestamp now = clock_.now();
  if (stats) {
    // What happened during the run still counts towards the next one.
    mutations_ -= std::min(mutations_, seen_mutations);
    deletions_ -= std::min(deletions_, seen_deletions);
    total_time_ += stats->duration;
    ++collections_;
    last_end_ = now;
    last_ = *stats;
    ++totals_.runs;
    totals_.duration += stats->duration;
    totals_.paused += stats->paused;
    totals_.removed_blobs += stats->removed_blobs;
    totals_.removed_files += stats->removed_files;
    totals_.removed_bytes += static_cast<uint64_t>(std::max<int64_t>(stats->removed_bytes, 0));
    totals_.removed_ingests += stats->removed_ingests + stats->removed_backend_ingests;
    totals_.removed_leases += stats->removed_leases;
  } else {
    ++totals_.failures;
  }
  if (stats) {
    // Containerd's interval: the pause ratio's gap; idle ticks stretch it (see tick()).
    next_due_ = now + gap_locked();
  } else if (scheduled) {
    next_due_ = now + std::max(gap_locked(), options_.interval);  // no tight retry loop
  }
  return stats;
}

std::optional<GcStats> Scheduler::last() const {
  std::lock_guard lock(mutex_);
  return last_;
}

GcTotals Scheduler::totals() const {
  std::lock_guard lock(mutex_);
  return totals_;
}

Timestamp Scheduler::next_due() const {
  std::lock_guard lock(mutex_);
  return next_due_;
}

size_t Scheduler::pending_mutations() const {
  std::lock_guard lock(mutex_);
  return mutations_;
}

void Scheduler::loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    const auto remaining = next_due_ - clock_.now();
    if (remaining > std::chrono::nanoseconds(0)) {
      wake_.wait_for(lock, std::min<std::chrono::nanoseconds>(remaining, std::chrono::seconds(1)));
      continue;
    }
    lock.unlock();
    tick();
    lock.lock();
  }
}

}  // namespace cairn::gc
