#include "handlers/upload_limits.h"

namespace cairn::handlers {

UploadLimits::UploadLimits(const metadata::ContentStore& store, size_t per_repository, size_t total,
                           const Clock& clock)
    : store_(store), per_repository_(per_repository), total_(total), clock_(clock) {}

Result<std::string> UploadLimits::admit(std::string_view ns) {
  if (per_repository_ > 0) {
    auto open = store_.count_ingests(ns, per_repository_ + 1);  // this one included
    if (!open)
      return open.error();
    if (*open > per_repository_) {
      return std::string(ns) + " has " + std::to_string(per_repository_) +
             " uploads in progress, the most one repository may have: finish or cancel some";
    }
  }
  if (total_ == 0)
    return std::string();
  std::lock_guard lock(mu_);
  if (estimate_ >= total_ && clock_.now() - counted_at_ >= std::chrono::seconds(1)) {
    auto open = store_.count_ingests({}, total_ + 1);  // this one included
    if (!open)
      return open.error();
    estimate_ = *open > 0 ? *open - 1 : 0;
    counted_at_ = clock_.now();
  }
  if (estimate_ >= total_) {
    return "the server has " + std::to_string(total_) +
           " uploads in progress, the most it takes: try again later";
  }
  ++estimate_;
  return std::string();
}

}  // namespace cairn::handlers
