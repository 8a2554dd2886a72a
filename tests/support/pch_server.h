// The precompiled header of the test binaries that run a server (those linking cairn_http):
// tests/support/pch.h plus the service, its test harness and the test client.
#pragma once

#include "tests/support/pch.h"

#include "handlers/service.h"
#include "server/http_server.h"
#include "tests/support/http_client.h"
#include "tests/support/oci.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_server.h"
