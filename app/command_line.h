// What the offline commands (cairn fsck, gc, du, export, import) share: reading their flags,
// and opening the data root of a stopped server.
#pragma once

#include "storage/storage.h"

#include <filesystem>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::app {

// Whether args[i] is flag `name`, as "--name V" or "--name=V"; its value goes to `value` (empty
// when a separate value is missing) and `i` moves past a separate value.
bool flag_value(const std::vector<std::string>& args, size_t& i, std::string_view name,
                std::string& value);

// Takes `--metadata URI` at args[i] (what it means to `cairn serve`) into `uri`: no when args[i]
// is another word, bad after saying why to `err` (the command then exits 2).
enum class Taken { no, yes, bad };
Taken metadata_flag(const std::vector<std::string>& args, size_t& i, std::string_view command,
                    std::string& uri, std::ostream& err);

// Opens the data root `root` for `command` ("cairn gc"), its metadata in PostgreSQL when
// options.metadata_uri names it. Unless `create`, a directory without content/ (and metadata/,
// for LevelDB) is refused and never created. When a running server holds the root's
// database lock, says so and names `online` (what does the job on a live server). Messages go
// to `err`; returns null after printing one (the command then exits 2).
std::unique_ptr<Storage> open_offline_root(const std::filesystem::path& root,
                                           const StorageOptions& options, std::string_view command,
                                           std::string_view online, std::ostream& err,
                                           bool create = false);

// Whether standard error is a terminal (the progress bar redraws in place there).
bool stderr_is_tty();

}  // namespace cairn::app
