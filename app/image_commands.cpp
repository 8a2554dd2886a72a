#include "app/image_commands.h"

#include "app/command_line.h"
#include "app/image_layout.h"
#include "app/progress_bar.h"

#include <optional>
#include <ostream>

namespace cairn::app {
namespace {

// The flags and the two positional words of either command.
struct Words {
  std::filesystem::path root = "./var";
  StorageOptions storage;  // --metadata
  std::vector<std::string> positional;
};

// Returns an exit status when the command should stop (help: 0, usage error: 2).
std::optional<int> parse(const std::vector<std::string>& args, std::string_view command,
                         const std::string& usage, Words& w, std::ostream& out, std::ostream& err) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    std::string v;
    if (a == "--help" || a == "-h") {
      out << usage;
      return 0;
    } else if (auto m = metadata_flag(args, i, command, w.storage.metadata_uri, err);
               m != Taken::no) {
      if (m == Taken::bad)
        return 2;
    } else if (flag_value(args, i, "--root", v)) {
      if (v.empty()) {
        err << command << ": --root needs a directory\n";
        return 2;
      }
      w.root = v;
    } else if (a.starts_with("-")) {
      err << command << ": unknown option " << a << "\n" << usage;
      return 2;
    } else {
      w.positional.push_back(a);
    }
  }
  if (w.positional.size() != 2) {
    err << command << ": wants two arguments\n" << usage;
    return 2;
  }
  return std::nullopt;
}

void summary(std::ostream& out, std::string_view command, const CopyResult& r,
             std::string_view where) {
  out << command << ": " << r.digest.str() << (r.tag.empty() ? "" : " (" + r.tag + ")") << " "
      << where << ": " << r.manifests << " manifest" << (r.manifests == 1 ? "" : "s") << ", "
      << r.blobs << " blob" << (r.blobs == 1 ? "" : "s") << " (" << format_bytes(r.bytes)
      << ") copied, " << r.present << " already there\n";
}

}  // namespace

std::string export_usage() {
  return R"(Usage: cairn export --root DIR [--metadata URI]
                    NAME[:TAG|@DIGEST] OCI_LAYOUT_DIR

Writes an image of a stopped server's data root (an index with all its manifests) into an OCI
image layout directory (created when missing; other images already in it stay), as skopeo's
oci:OCI_LAYOUT_DIR:TAG reads it. TAG defaults to latest.

  --root DIR   the data root                                            [./var]
  --metadata URI  its metadata in PostgreSQL (the server's --metadata)

Exit status: 0 exported, 1 the export failed, 2 usage or open error.
)";
}

std::string import_usage() {
  return R"(Usage: cairn import --root DIR [--metadata URI]
                    OCI_LAYOUT_DIR NAME[:TAG|@DIGEST]

Stores an image of an OCI image layout directory (as skopeo copy ... oci:OCI_LAYOUT_DIR:TAG
writes it) into repository NAME of a stopped server's data root (created when missing), as a
push would: every blob is verified against its digest before it is stored. The layout's image
is the one whose ref name is TAG, else the only one; TAG defaults to that ref name.

  --root DIR   the data root                                            [./var]
  --metadata URI  its metadata in PostgreSQL (the server's --metadata)

Exit status: 0 imported, 1 the import failed, 2 usage or open error.
)";
}

int export_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Words w;
  if (auto stop = parse(args, "cairn export", export_usage(), w, out, err))
    return *stop;
  auto ref = parse_image_ref(w.positional[0]);
  if (!ref) {
    err << "cairn export: " << w.positional[0] << ": " << ref.error().detail << "\n";
    return 2;
  }
  auto storage =
      open_offline_root(w.root, w.storage, "cairn export",
                        "pull it from the server (skopeo copy docker://... oci:...)", err);
  if (!storage)
    return 2;
  ProgressBar bar(err, stderr_is_tty(), "exporting");
  bool shown = false;  // nothing to finish when the copy failed before it started
  auto result = export_image(*storage, *ref, w.positional[1], [&](int64_t done, int64_t total) {
    shown = true;
    bar.update(done, total);
  });
  if (shown)
    bar.finish();
  if (!result) {
    err << "cairn export: " << result.error().detail << "\n";
    return 1;
  }
  summary(out, "cairn export", *result, "written to " + w.positional[1]);
  return 0;
}

int import_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Words w;
  if (auto stop = parse(args, "cairn import", import_usage(), w, out, err))
    return *stop;
  auto ref = parse_image_ref(w.positional[1]);
  if (!ref) {
    err << "cairn import: " << w.positional[1] << ": " << ref.error().detail << "\n";
    return 2;
  }
  auto storage = open_offline_root(w.root, w.storage, "cairn import",
                                   "push it to the server (skopeo copy oci:... docker://...)", err,
                                   /*create=*/true);
  if (!storage)
    return 2;
  ProgressBar bar(err, stderr_is_tty(), "importing");
  bool shown = false;  // nothing to finish when the copy failed before it started
  auto result = import_image(*storage, w.positional[0], *ref, [&](int64_t done, int64_t total) {
    shown = true;
    bar.update(done, total);
  });
  if (shown)
    bar.finish();
  if (!result) {
    err << "cairn import: " << result.error().detail << "\n";
    return 1;
  }
  summary(out, "cairn import", *result, "stored in " + ref->name);
  return 0;
}

}  // namespace cairn::app
