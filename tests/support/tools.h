// The client tools end-to-end tests drive (skopeo, podman, ctr, curl...): whether one is
// installed. tools/dev.sh test installs every one of them (its PACKAGES).
#pragma once

#include "tests/support/shell.h"

#include <gtest/gtest.h>

#include <string>

namespace cairn::testing {

inline bool have_tool(const std::string& tool) {
  return sh("command -v " + tool + " >/dev/null").status == 0;
}

// Fails the calling test (ASSERT: the caller returns when it is called through
// ASSERT_NO_FATAL_FAILURE) when `tool` is missing.
inline void require_tool(const std::string& tool) {
  ASSERT_TRUE(have_tool(tool)) << tool
                               << " is not installed; the README's test command installs it "
                                  "(tools/dev.sh test)";
}

}  // namespace cairn::testing
