// The S3 answers' XML (s3/xml.h) and the table from S3 errors to Errc (s3/client.h).
#include "s3/client.h"
#include "s3/xml.h"

#include <gtest/gtest.h>

namespace cairn::s3 {
namespace {

TEST(S3Xml, ReadsAListingWithEntitiesAndANamespace) {
  auto doc = parse_xml(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
      "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<IsTruncated>true</IsTruncated>"
      "<Contents><Key>a&amp;b &lt;c&gt;</Key><Size>3</Size><ETag>&quot;x&quot;</ETag></Contents>"
      "<Contents><Key>d</Key><Size>4</Size></Contents>"
      "<NextContinuationToken>tok</NextContinuationToken></ListBucketResult>");
  ASSERT_TRUE(doc) << doc.error().detail;
  EXPECT_EQ(doc->name, "ListBucketResult");
  EXPECT_EQ(doc->child_text("IsTruncated"), "true");
  EXPECT_EQ(doc->child_text("NextContinuationToken"), "tok");
  auto contents = doc->children_named("Contents");
  ASSERT_EQ(contents.size(), 2u);
  EXPECT_EQ(contents[0]->child_text("Key"), "a&b <c>");
  EXPECT_EQ(contents[0]->child_text("ETag"), "\"x\"");
  EXPECT_EQ(contents[1]->child_text("Key"), "d");
  EXPECT_EQ(doc->child("Missing"), nullptr);
  EXPECT_EQ(doc->child_text("Missing"), "");
}

TEST(S3Xml, RefusesMalformedAndTooDeepDocuments) {
  EXPECT_EQ(parse_xml("<a><b></a>").error().code, Errc::invalid_argument);
  EXPECT_EQ(parse_xml("").error().code, Errc::invalid_argument);
  EXPECT_EQ(parse_xml("not xml").error().code, Errc::invalid_argument);
  std::string deep;
  for (int i = 0; i < kMaxXmlDepth + 1; ++i)
    deep += "<e>";
  for (int i = 0; i < kMaxXmlDepth + 1; ++i)
    deep += "</e>";
  auto r = parse_xml(deep);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("deeper"), std::string::npos) << r.error().detail;
  std::string ok;
  for (int i = 0; i < kMaxXmlDepth; ++i)
    ok += "<e>";
  for (int i = 0; i < kMaxXmlDepth; ++i)
    ok += "</e>";
  EXPECT_TRUE(parse_xml(ok));
}

TEST(S3Xml, EscapesText) {
  EXPECT_EQ(xml_escape("\"e&t<a>g'"), "&quot;e&amp;t&lt;a&gt;g&apos;");
}

std::string error_doc(std::string_view code, std::string_view message = "") {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + std::string(code) +
         "</Code><Message>" + std::string(message) + "</Message><RequestId>tx1</RequestId></Error>";
}

TEST(S3Errors, CodesAndStatusesMapToErrc) {
  struct Case {
    unsigned status;
    std::string body;
    Errc want;
  };
  const Case cases[] = {
      {404, error_doc("NoSuchKey"), Errc::not_found},
      {404, error_doc("NoSuchBucket"), Errc::not_found},
      {404, error_doc("NoSuchUpload"), Errc::not_found},
      {404, "", Errc::not_found},  // HEAD: no body
      {403, error_doc("SignatureDoesNotMatch"), Errc::denied},
      {403, error_doc("InvalidAccessKeyId"), Errc::denied},
      {403, error_doc("AccessDenied"), Errc::denied},
      {403, error_doc("QuotaExceeded"), Errc::no_space},
      {403, "", Errc::denied},
      {409, error_doc("BucketAlreadyExists"), Errc::already_exists},
      {409, error_doc("BucketNotEmpty"), Errc::failed_precondition},
      {412, error_doc("PreconditionFailed"), Errc::failed_precondition},
      {416, error_doc("InvalidRange"), Errc::range_invalid},
      {400, error_doc("XAmzContentSHA256Mismatch"), Errc::digest_mismatch},
      {400, error_doc("BadDigest"), Errc::digest_mismatch},
      {400, error_doc("EntityTooSmall"), Errc::invalid_argument},
      {400, error_doc("EntityTooLarge"), Errc::no_space},
      {411, error_doc("MissingContentLength"), Errc::invalid_argument},
      {500, error_doc("InternalError"), Errc::unavailable},
      {503, error_doc("SlowDown"), Errc::unavailable},
      {502, "<html>bad gateway</html>", Errc::unavailable},
      {200, error_doc("InternalError"), Errc::unavailable},  // Complete's 200 with an Error
      {200, error_doc("InvalidPart"), Errc::io},
  };
  for (const auto& c : cases) {
    Error e = error_from_answer(c.status, c.body, "GET /b/k");
    EXPECT_EQ(e.code, c.want) << c.status << " " << c.body << " -> " << e.detail;
  }
}

TEST(S3Errors, TheDetailNamesCodeMessageRequestAndStatus) {
  Error e = error_from_answer(403, error_doc("SignatureDoesNotMatch", "bad sig"), "PUT /b/k");
  EXPECT_EQ(e.detail, "S3 SignatureDoesNotMatch: bad sig (PUT /b/k, HTTP 403)");
  Error bare = error_from_answer(404, "", "HEAD /b/k");
  EXPECT_EQ(bare.detail, "S3 error (HEAD /b/k, HTTP 404)");
}

TEST(S3Paths, ObjectPathJoinsBucketAndKey) {
  EXPECT_EQ(object_path("b", "dir/k"), "/b/dir/k");
  EXPECT_EQ(object_path("b", ""), "/b");
  EXPECT_EQ(canonical_uri(object_path("b", "a b/c+d")), "/b/a%20b/c%2Bd");
}

}  // namespace
}  // namespace cairn::s3
