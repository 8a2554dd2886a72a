#include "storage/content/labels.h"

namespace cairn::content {

Result<void> validate_labels(const Labels& labels) {
  for (const auto& [key, value] : labels) {
    if (key.empty())
      return fail(Errc::invalid_argument, "label key is empty");
    if (key.size() + value.size() > kMaxLabelSize) {
      return fail(Errc::invalid_argument, "label " + key.substr(0, 64) + " exceeds " +
                                              std::to_string(kMaxLabelSize) + " bytes");
    }
  }
  return {};
}

Result<Labels> apply_label_update(const Labels& current, const Labels& update,
                                  std::span<const std::string> fieldpaths) {
  if (fieldpaths.empty()) {
    if (auto r = validate_labels(update); !r)
      return r.error();
    return update;
  }
  Labels out = current;
  for (const std::string& path : fieldpaths) {
    if (path == "labels") {
      out = update;
    } else if (path.starts_with("labels.") && path.size() > 7) {
      std::string key = path.substr(7);
      if (auto it = update.find(key); it != update.end()) {
        out[key] = it->second;
      } else {
        out.erase(key);
      }
    } else {
      return fail(Errc::invalid_argument, "cannot update field " + path.substr(0, 64));
    }
  }
  if (auto r = validate_labels(out); !r)
    return r.error();
  return out;
}

}  // namespace cairn::content
