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

}  // namespace cairn::testing

// Fails and ends the calling test when `tool` is missing.
#define REQUIRE_TOOL(tool)                                                         \
  ASSERT_TRUE(::cairn::testing::have_tool(tool))                                   \
      << (tool)                                                                    \
      << " is not installed; the README's test command installs it (tools/dev.sh " \
         "test)"
