#include "server/message_framing.h"

#include <gtest/gtest.h>

namespace cairn::server {
namespace {

TEST(MessageFraming, CanonicalHeader) {
  EXPECT_EQ(canonical_header("docker-upload-uuid"), "Docker-Upload-UUID");
  EXPECT_EQ(canonical_header("content-length"), "Content-Length");
  EXPECT_EQ(canonical_header("www-authenticate"), "WWW-Authenticate");
  EXPECT_EQ(canonical_header("oci-subject"), "OCI-Subject");
}

TEST(MessageFraming, OriginForm) {
  struct Case {
    std::string_view in, out;
  } cases[] = {
      {"/v2/", "/v2/"},
      {"http://127.0.0.1:5000/v2/", "/v2/"},
      {"HTTPS://host/v2/_catalog?n=1", "/v2/_catalog?n=1"},
      {"http://host", "/"},
      {"http://host?q=1", "?q=1"},
      {"*", "*"},
      {"garbage", "garbage"},
      {"://x/y", "://x/y"},
      {"1http://x/y", "1http://x/y"},
      {"ht tp://x/y", "ht tp://x/y"},
  };
  for (const auto& c : cases)
    EXPECT_EQ(origin_form(c.in), c.out) << c.in;
}

TEST(MessageFraming, AmbiguousFraming) {
  using V = std::vector<std::string_view>;
  EXPECT_FALSE(ambiguous_framing(V{}, false));
  EXPECT_FALSE(ambiguous_framing(V{}, true));
  EXPECT_FALSE(ambiguous_framing(V{"chunked"}, false));
  EXPECT_FALSE(ambiguous_framing(V{"Chunked"}, false));
  EXPECT_FALSE(ambiguous_framing(V{" chunked ,"}, false));
  EXPECT_TRUE(ambiguous_framing(V{"chunked"}, true));
  EXPECT_TRUE(ambiguous_framing(V{"xchunked"}, false));
  EXPECT_TRUE(ambiguous_framing(V{"chunked, identity"}, false));
  EXPECT_TRUE(ambiguous_framing(V{"gzip, chunked"}, false));
  EXPECT_TRUE(ambiguous_framing(V{"gzip", "chunked"}, false));
  EXPECT_TRUE(ambiguous_framing(V{"chunked", "chunked"}, false));
  EXPECT_TRUE(ambiguous_framing(V{"identity"}, false));
  EXPECT_TRUE(ambiguous_framing(V{""}, false));
  EXPECT_TRUE(ambiguous_framing(V{"chunked;x=1"}, false));
}

}  // namespace
}  // namespace cairn::server
