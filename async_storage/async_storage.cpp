#include "async_storage/async_storage.h"

namespace cairn {

AsyncStorage::AsyncStorage(Storage& storage, server::Offloader& pool, AsyncStorageOptions options)
    : storage_(storage), pool_(pool), options_(options) {}

}  // namespace cairn
