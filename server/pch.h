// Precompiled header for server/ and handlers/: the heavy Boost.Asio and Beast headers.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
