// The precompiled header of the test binaries (tests/CMakeLists.txt): what nearly every test
// file includes, parsed once per binary instead of once per file. Test files still include what
// they use; this only makes it cheap.
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>
