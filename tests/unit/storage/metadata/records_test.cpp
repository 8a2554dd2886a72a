#include "storage/metadata/records.h"

#include "storage/metadata/rfc3339.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cairn::metadata {
namespace {

using namespace std::string_literals;

Digest d(const std::string& s) {
  return content::digest_of(s);
}

TEST(RecordsTest, BlobRoundTrip) {
  BlobRecord r{42, from_unix_nanos(1), from_unix_nanos(2), {{"a", "b"}, {"k", "ü"}}, "x/y"};
  auto back = decode_blob(encode(r));
  ASSERT_TRUE(back) << back.error().detail;
  EXPECT_EQ(*back, r);
  BlobRecord empty;
  EXPECT_EQ(decode_blob(encode(empty)).value(), empty);
}

TEST(RecordsTest, IngestRoundTrip) {
  IngestRecord r{"ns@ref", from_unix_nanos(99), d("x"), 10, "lease1"};
  EXPECT_EQ(decode_ingest(encode(r)).value(), r);
  IngestRecord bare{"ns@ref", std::nullopt, std::nullopt, 0, ""};
  EXPECT_EQ(decode_ingest(encode(bare)).value(), bare);
}

TEST(RecordsTest, TagManifestLeaseNamespaceRoundTrip) {
  Descriptor desc{d("m"),
                  "application/vnd.oci.image.manifest.v1+json",
                  123,
                  "app/x",
                  {{"org.opencontainers.image.created", "now"}}};
  EXPECT_EQ(decode_descriptor(encode(desc)).value(), desc);

  TagRecord tag{desc, from_unix_nanos(5), from_unix_nanos(6), {{"l", "v"}}};
  EXPECT_EQ(decode_tag(encode(tag)).value(), tag);

  ManifestRecord m{"application/vnd.oci.image.manifest.v1+json",
                   500,
                   from_unix_nanos(7),
                   {{ChildKind::config, d("c")},
                    {ChildKind::layer, d("l1")},
                    {ChildKind::manifest, d("m1")},
                    {ChildKind::subject, d("s")},
                    {ChildKind::blob, d("b")}},
                   d("s"),
                   "application/vnd.example",
                   {{"a", "b"}}};
  EXPECT_EQ(decode_manifest(encode(m)).value(), m);

  LeaseRecord lease{from_unix_nanos(8), from_unix_nanos(9), {{"x", "y"}}};
  EXPECT_EQ(decode_lease(encode(lease)).value(), lease);
  LeaseRecord no_expiry{from_unix_nanos(8), std::nullopt, {}};
  EXPECT_EQ(decode_lease(encode(no_expiry)).value(), no_expiry);

  NamespaceRecord ns{{{"team", "infra"}}};
  EXPECT_EQ(decode_namespace(encode(ns)).value(), ns);
}

TEST(RecordsTest, CorruptValuesAreInternalErrors) {
  const std::vector<std::string> garbage = {
      "",
      "{",
      "[]",
      "null",
      "\xff\xfe",
      "{\"size\":\"x\",\"createdat\":1,\"updatedat\":1}",
      "{\"size\":-1,\"createdat\":1,\"updatedat\":1}",
      "{\"size\":1,\"createdat\":1}",
      "{\"size\":1,\"createdat\":1,\"updatedat\":1,\"labels\":{\"a\":1}}",
      "{\"size\":1,\"createdat\":1,\"updatedat\":1,\"labels\":[]}",
      "{\"size\":1.5,\"createdat\":1,\"updatedat\":1}",
      "\0\0\0"s,
  };
  for (const auto& g : garbage) {
    auto r = decode_blob(g);
    ASSERT_FALSE(r) << g;
    EXPECT_EQ(r.error().code, Errc::internal);
  }
  EXPECT_EQ(decode_ingest("{}").error().code, Errc::internal);
  EXPECT_EQ(decode_ingest("{\"ref\":\"r\",\"expected\":\"md5:x\"}").error().code, Errc::internal);
  EXPECT_EQ(decode_tag("{\"target\":5,\"createdat\":1,\"updatedat\":1}").error().code,
            Errc::internal);
  EXPECT_EQ(decode_tag("{\"createdat\":1,\"updatedat\":1}").error().code, Errc::internal);
  EXPECT_EQ(decode_manifest("{\"size\":1,\"createdat\":1,\"children\":[{\"kind\":\"nope\","
                            "\"digest\":\"" +
                            d("x").str() + "\"}]}")
                .error()
                .code,
            Errc::internal);
  EXPECT_EQ(decode_manifest("{\"size\":1,\"createdat\":1,\"children\":{}}").error().code,
            Errc::internal);
  EXPECT_EQ(decode_lease("{\"createdat\":\"x\"}").error().code, Errc::internal);
  EXPECT_EQ(decode_namespace("{\"labels\":7}").error().code, Errc::internal);
  EXPECT_EQ(decode_descriptor("{\"size\":1}").error().code, Errc::internal);
}

TEST(RecordsTest, UnknownFieldsAreIgnored) {
  auto r = decode_blob("{\"size\":3,\"createdat\":1,\"updatedat\":2,\"future\":[1,2]}");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->size, 3);
}

TEST(RecordsTest, InvalidUtf8LabelsDoNotThrow) {
  BlobRecord r{1, {}, {}, {{"k", "\xff\xfe"}}, ""};
  std::string bytes = encode(r);
  EXPECT_TRUE(decode_blob(bytes));
}

TEST(Rfc3339Test, ParseAndFormat) {
  struct Case {
    std::string text;
    int64_t nanos;
  };
  const std::vector<Case> ok = {
      {"1970-01-01T00:00:00Z", 0},
      {"2023-11-14T22:13:20Z", 1'700'000'000'000'000'000},
      {"2023-11-14T22:13:20.5Z", 1'700'000'000'500'000'000},
      {"2023-11-14T23:13:20+01:00", 1'700'000'000'000'000'000},
      {"2023-11-14t21:13:20-01:00", 1'700'000'000'000'000'000},
      {"2023-11-14T22:13:20.123456789123z", 1'700'000'000'123'456'789},
      {"1969-12-31T23:59:59Z", -1'000'000'000},
  };
  for (const auto& c : ok) {
    auto t = parse_rfc3339(c.text);
    ASSERT_TRUE(t) << c.text;
    EXPECT_EQ(to_unix_nanos(*t), c.nanos) << c.text;
  }
  for (std::string bad :
       {"", "2023-11-14", "2023-11-14T22:13:20", "2023-13-01T00:00:00Z", "2023-02-30T00:00:00Z",
        "2023-11-14T22:13:20.Z", "2023-11-14T22:13:20+0100", "2023-11-14T22:13:20Zjunk",
        "abcd-11-14T22:13:20Z"}) {
    EXPECT_FALSE(parse_rfc3339(bad)) << bad;
  }
  EXPECT_EQ(format_rfc3339(from_unix_nanos(1'700'000'000'000'000'000)), "2023-11-14T22:13:20Z");
  EXPECT_EQ(format_rfc3339(from_unix_nanos(1'700'000'000'120'000'000)), "2023-11-14T22:13:20.12Z");
  EXPECT_EQ(format_rfc3339(from_unix_nanos(-1'000'000'000)), "1969-12-31T23:59:59Z");
  Timestamp t = from_unix_nanos(1'234'567'890'123'456'789);
  EXPECT_EQ(parse_rfc3339(format_rfc3339(t)).value(), t);
}

}  // namespace
}  // namespace cairn::metadata
