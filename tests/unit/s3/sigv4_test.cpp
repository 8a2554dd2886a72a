// SigV4 against the values AWS publishes (the S3 API reference's "Examples of signature
// calculations" for examplebucket with AKIAIOSFODNN7EXAMPLE, the presigned GET of "Using Query
// Parameters", the IAM guide's signing-key example): an implementation that merely agreed with
// itself would fail these.
#include "s3/sigv4.h"

#include <gtest/gtest.h>

#include <chrono>

namespace cairn::s3 {
namespace {

const Credentials kExample{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"};
constexpr std::string_view kHost = "examplebucket.s3.amazonaws.com";
constexpr std::string_view kStamp = "20130524T000000Z";

Request example(std::string method, std::string path, Params query, Params extra,
                std::string payload_hash) {
  Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.query = std::move(query);
  r.headers = {{"Host", std::string(kHost)},
               {"x-amz-date", std::string(kStamp)},
               {"x-amz-content-sha256", payload_hash}};
  r.headers.insert(r.headers.end(), extra.begin(), extra.end());
  r.payload_hash = std::move(payload_hash);
  return r;
}

TEST(SigV4, GetObjectExampleStepByStep) {
  Request r =
      example("GET", "/test.txt", {}, {{"Range", "bytes=0-9"}}, std::string(kEmptyPayloadSha256));
  EXPECT_EQ(canonical_request(r),
            "GET\n/test.txt\n\n"
            "host:examplebucket.s3.amazonaws.com\n"
            "range:bytes=0-9\n"
            "x-amz-content-sha256:"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
            "x-amz-date:20130524T000000Z\n\n"
            "host;range;x-amz-content-sha256;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(string_to_sign(kStamp, "us-east-1", canonical_request(r)),
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(authorization(r, kExample, "us-east-1", kStamp),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
            "aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature="
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4, PutObjectExampleEncodesTheDollarAndSignsThePayload) {
  const std::string body = "Welcome to Amazon S3.";
  EXPECT_EQ(sha256_hex(body), "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  Request r = example(
      "PUT", "/test$file.text", {},
      {{"Date", "Fri, 24 May 2013 00:00:00 GMT"}, {"x-amz-storage-class", "REDUCED_REDUNDANCY"}},
      sha256_hex(body));
  EXPECT_EQ(canonical_uri(r.path), "/test%24file.text");
  EXPECT_EQ(signed_headers(r), "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class");
  EXPECT_EQ(signature(r, kExample, "us-east-1", kStamp),
            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(SigV4, GetBucketLifecycleExampleSignsAValuelessParameter) {
  Request r = example("GET", "/", {{"lifecycle", ""}}, {}, std::string(kEmptyPayloadSha256));
  EXPECT_EQ(canonical_query(r.query), "lifecycle=");
  EXPECT_EQ(signature(r, kExample, "us-east-1", kStamp),
            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST(SigV4, ListObjectsExampleSortsTheQuery) {
  // Given out of order: the canonical query sorts by name.
  Request r = example("GET", "/", {{"prefix", "J"}, {"max-keys", "2"}}, {},
                      std::string(kEmptyPayloadSha256));
  EXPECT_EQ(canonical_query(r.query), "max-keys=2&prefix=J");
  EXPECT_EQ(signature(r, kExample, "us-east-1", kStamp),
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(SigV4, PresignedGetExample) {
  const std::string q =
      presign_query("GET", "/test.txt", {}, kHost, kExample, "us-east-1", kStamp, 86400);
  EXPECT_EQ(q,
            "X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
            "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
            "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

TEST(SigV4, SigningKeyExampleOfTheIamGuide) {
  EXPECT_EQ(
      hex(signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam")),
      "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(SigV4, UriEncodeKeepsOnlyUnreservedBytes) {
  struct Case {
    std::string_view in;
    bool keep_slash;
    std::string_view out;
  };
  const Case cases[] = {
      {"AZaz09-_.~", false, "AZaz09-_.~"},
      {"a b", false, "a%20b"},
      {"a+b=c&d", false, "a%2Bb%3Dc%26d"},
      {"dir/file", false, "dir%2Ffile"},
      {"/bucket/dir/a b", true, "/bucket/dir/a%20b"},
      {"*", false, "%2A"},
      {"\xc3\xa9", true, "%C3%A9"},  // UTF-8 bytes each encoded, uppercase hex
      {"%", true, "%25"},
  };
  for (const auto& c : cases)
    EXPECT_EQ(uri_encode(c.in, c.keep_slash), c.out) << c.in;
}

TEST(SigV4, HeadersAreTrimmedJoinedAndSortedByLowercaseName) {
  Request r;
  r.method = "GET";
  r.path = "/b/k";
  r.headers = {{"X-Amz-Meta-B", "  two   words  "},
               {"Host", "h:1"},
               {"x-amz-meta-a", "1"},
               {"X-AMZ-META-A", "2"}};
  r.payload_hash = std::string(kUnsignedPayload);
  EXPECT_EQ(canonical_request(r),
            "GET\n/b/k\n\nhost:h:1\nx-amz-meta-a:1,2\nx-amz-meta-b:two words\n\n"
            "host;x-amz-meta-a;x-amz-meta-b\nUNSIGNED-PAYLOAD");
}

TEST(SigV4, QueryValuesAreEncodedSlashesIncluded) {
  EXPECT_EQ(canonical_query({{"prefix", "a/b c"}, {"list-type", "2"}, {"uploads", ""}}),
            "list-type=2&prefix=a%2Fb%20c&uploads=");
}

TEST(SigV4, AmzDateIsUtcBasicFormat) {
  using namespace std::chrono;
  EXPECT_EQ(amz_date(system_clock::time_point(seconds(1369353600))), "20130524T000000Z");
  EXPECT_EQ(amz_date(system_clock::time_point(seconds(1369353600 + 86399) + milliseconds(999))),
            "20130524T235959Z");
}

}  // namespace
}  // namespace cairn::s3
