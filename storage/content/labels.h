// Label rules shared by every content store: size limits and field-path updates.
#pragma once

#include "storage/common/result.h"
#include "storage/content/store.h"

#include <span>
#include <string>

namespace cairn::content {

// Checks every label's key plus value against kMaxLabelSize, all of them together against
// kMaxLabelsSize, that keys are non-empty without control characters, and values without NUL.
// Errors: invalid_argument.
Result<void> validate_labels(const Labels& labels);

// Applies `update` to `current` as Store::update describes: fieldpaths "labels" or
// "labels.<key>", empty meaning "labels". Returns the new label set.
// Errors: invalid_argument (an unknown field path, or a label over the size limit).
Result<Labels> apply_label_update(const Labels& current, const Labels& update,
                                  std::span<const std::string> fieldpaths);

}  // namespace cairn::content
