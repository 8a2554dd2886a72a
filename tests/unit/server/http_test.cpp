#include "server/http.h"

#include <gtest/gtest.h>

namespace cairn::server {
namespace {

// A value that does not decode is kept as sent, so the handler's grammar check refuses it; it
// used to be dropped, which made "?digest=%00" an upload without a digest (202) and "last=%00"
// a listing from the start.
TEST(RequestQuery, UndecodableValuesAreKeptAsSent) {
  Request req;
  req.query = "digest=%00&last=%zz&from=a%0&n=%2";
  EXPECT_EQ(req.query_value("digest"), "%00");
  EXPECT_EQ(req.query_value("last"), "%zz");
  EXPECT_EQ(req.query_value("from"), "a%0");
  EXPECT_EQ(req.query_value("n"), "%2");
  req.query = "digest=sha256%3Aab&digest=%00";
  EXPECT_EQ(req.query_values("digest"), (std::vector<std::string>{"sha256:ab", "%00"}));
}

}  // namespace
}  // namespace cairn::server
