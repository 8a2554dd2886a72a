#include "storage/metadata/migrations.h"

namespace cairn::metadata {

const std::vector<Migration>& builtin_migrations() {
  static const std::vector<Migration> migrations;
  return migrations;
}

}  // namespace cairn::metadata
