#include "storage/content/labels.h"

namespace cairn::content {

Result<void> validate_labels(const Labels& labels) {
  size_t total = 0;
  for (const auto& [key, value] : labels) {
    if (key.empty())
      return fail(Errc::invalid_argument, "label key is empty");
    // A control byte (NUL above all: it joins key components and ends C strings) has no place
    // in a key; a NUL has none in a value.
    for (char c : key) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
        return fail(Errc::invalid_argument, "label key holds a control character");
    }
    if (value.find('\0') != std::string::npos)
      return fail(Errc::invalid_argument, "label " + key.substr(0, 64) + " holds a NUL byte");
    if (key.size() + value.size() > kMaxLabelSize) {
      return fail(Errc::invalid_argument, "label " + key.substr(0, 64) + " exceeds " +
                                              std::to_string(kMaxLabelSize) + " bytes");
    }
    total += key.size() + value.size();
    if (total > kMaxLabelsSize) {
      return fail(Errc::invalid_argument,
                  "labels exceed " + std::to_string(kMaxLabelsSize) + " bytes in all");
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
