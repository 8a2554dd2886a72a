#include "app/command_line.h"

#include "app/config.h"

#include <unistd.h>

#include <ostream>

namespace cairn::app {

bool flag_value(const std::vector<std::string>& args, size_t& i, std::string_view name,
                std::string& value) {
  const std::string& a = args[i];
  if (a == name) {
    value = i + 1 < args.size() ? args[++i] : "";
    return true;
  }
  if (a.size() > name.size() && a.starts_with(name) && a[name.size()] == '=') {
    value = a.substr(name.size() + 1);
    return true;
  }
  return false;
}

Taken metadata_flag(const std::vector<std::string>& args, size_t& i, std::string_view command,
                    std::string& uri, std::ostream& err) {
  std::string v;
  if (!flag_value(args, i, "--metadata", v))
    return Taken::no;
  if (auto why = metadata_uri_error(v); !why.empty()) {
    err << command << ": " << why << "\n";
    return Taken::bad;
  }
  uri = v;
  return Taken::yes;
}

std::unique_ptr<Storage> open_offline_root(const std::filesystem::path& root,
                                           const StorageOptions& options, std::string_view command,
                                           std::string_view online, std::ostream& err,
                                           bool create) {
  std::error_code ec;
  const bool leveldb = options.metadata_uri.empty();
  if (!create && ((leveldb && !std::filesystem::is_directory(root / "metadata", ec)) ||
                  !std::filesystem::is_directory(root / "content", ec))) {
    err << command << ": " << root.string() << " is not a cairn data root (no "
        << (leveldb ? "metadata/ and " : "") << "content/ in it)\n";
    return nullptr;
  }
  auto storage = Storage::open(root, options);
  if (!storage) {
    // LevelDB reports its held lock as an IO error naming the LOCK file; PostgreSQL's table
    // lock as in use by another process, "(it holds the table's lock)".
    const std::string& detail = storage.error().detail;
    if (detail.find("lock") != std::string::npos || detail.find("LOCK") != std::string::npos) {
      err << command << ": " << root.string()
          << " is in use: a running server holds its database lock. Stop the server first, or "
          << online << ".\n";
    } else {
      err << command << ": cannot open " << root.string() << ": " << detail << "\n";
    }
    return nullptr;
  }
  return std::move(*storage);
}

bool stderr_is_tty() {
  return ::isatty(STDERR_FILENO) == 1;
}

}  // namespace cairn::app
