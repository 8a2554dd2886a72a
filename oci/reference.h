// Reference: what the {reference} of a manifest route names, a digest (it holds ':') or a tag.
#pragma once

#include "storage/content/digest.h"

#include <string>
#include <variant>

namespace cairn::oci {

using Reference = std::variant<content::Digest, std::string>;

}  // namespace cairn::oci
