#include "storage/fsck/runner.h"

#include "storage/metadata/rfc3339.h"

namespace cairn::fsck {

Runner::Runner(Storage& storage, RunnerOptions options)
    : storage_(storage), options_(std::move(options)) {}

Runner::~Runner() {
  stop();
}

void Runner::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable())
    return;
  stopping_ = false;
  stop_source_ = std::stop_source();
  next_scrub_ = std::chrono::steady_clock::now() + options_.scrub_interval;
  thread_ = std::thread([this] { loop(); });
}

void Runner::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    stop_source_.request_stop();
  }
  changed_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id())
    thread_.join();
}

Runner::Requested Runner::request(bool repair) {
  start();
  std::lock_guard lock(mutex_);
  if (running_ || pending_) {
    Requested busy;
    if (report_)
      busy.report = *report_;
    return busy;
  }
  pending_ = repair;
  // What GET answers until the thread picks it up.
  Report r;
  r.trigger = "admin";
  r.repair = repair;
  r.started_at = storage_.clock().now();
  report_ = r;
  changed_.notify_all();
  return Requested{true, std::move(r)};
}

std::optional<Report> Runner::report() const {
  std::lock_guard lock(mutex_);
  return report_;
}

std::optional<Report> Runner::wait_idle() const {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return (!running_ && !pending_) || stopping_; });
  return report_;
}

void Runner::log(const std::string& line) const {
  if (options_.log)
    options_.log(line);
}

void Runner::loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    const bool scrub = options_.scrub_interval.count() > 0;
    if (pending_) {
      const bool repair = *pending_;
      running_ = true;
      auto stop = stop_source_.get_token();
      lock.unlock();
      run_one(repair, "admin", stop);
      lock.lock();
      pending_.reset();
    } else if (scrub && std::chrono::steady_clock::now() >= next_scrub_) {
      running_ = true;
      auto stop = stop_source_.get_token();
      lock.unlock();
      run_one(false, "scrub", stop);
      lock.lock();
    } else {
      if (scrub)
        changed_.wait_until(lock, next_scrub_);
      else
        changed_.wait(lock);
      continue;
    }
    running_ = false;
    next_scrub_ = std::chrono::steady_clock::now() + options_.scrub_interval;
    changed_.notify_all();
  }
  changed_.notify_all();
}

void Runner::run_one(bool repair, std::string trigger, std::stop_token stop) {
  const bool background = trigger == "scrub";
  {
    std::lock_guard lock(mutex_);
    Report r;
    r.trigger = trigger;
    r.repair = repair;
    r.started_at = storage_.clock().now();
    report_ = std::move(r);
  }
  CheckOptions opts;
  opts.repair = repair;
  opts.grace = options_.grace;
  opts.rate = background ? options_.scrub_rate : 0;
  opts.stop = stop;
  opts.on_progress = [&](const Progress& p) {
    std::lock_guard lock(mutex_);
    report_->progress = p;
  };
  opts.on_finding = [&](const Finding& f) {
    {
      std::lock_guard lock(mutex_);
      report_->findings.push_back(f);
    }
    nlohmann::json line = {{"time", metadata::format_rfc3339(storage_.clock().now())},
                           {"event", "fsck_finding"},
                           {"trigger", trigger}};
    line.update(to_json(f));
    log(line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  };
  auto result = check(storage_, opts);
  Report final;
  if (result) {
    final = std::move(*result);
  } else {
    std::lock_guard lock(mutex_);
    final = *report_;
    final.state = Report::State::failed;
    final.error = result.error().detail;
    final.finished_at = storage_.clock().now();
  }
  final.trigger = trigger;
  nlohmann::json line = {{"time", metadata::format_rfc3339(storage_.clock().now())},
                         {"event", "fsck_done"},
                         {"trigger", trigger},
                         {"state", state_name(final.state)},
                         {"findings", final.findings.size()},
                         {"bytesHashed", final.progress.bytes_hashed}};
  if (!final.error.empty())
    line["error"] = final.error;
  log(line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  std::lock_guard lock(mutex_);
  report_ = std::move(final);
}

}  // namespace cairn::fsck
