// The local store's Writer: one open ingest directory, appended to with write(2), hashed as it
// grows, committed by rename into the blob tree (see local_store.h for the layout and the
// commit sequence). Private to the local store.
#pragma once

#include "storage/common/result.h"
#include "storage/content/local_core.h"
#include "storage/content/store.h"

#include <memory>

namespace cairn::content {

// Opens or resumes the ingest `opts.ref`, with LocalStore::writer's contract. A resumed ingest
// continues at the end of its data file; the running digest is restored by re-hashing that
// file with the algorithm of the expected digest (sha256 when none is known). Blocks on the
// filesystem and, up to opts.lock_wait (default options.writer_lock_wait), on another writer of the
// same ref.
Result<std::unique_ptr<Writer>> open_local_writer(std::shared_ptr<LocalCore> core,
                                                  const WriterOptions& opts);

}  // namespace cairn::content
