#include "storage/metadata/keys.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace cairn::metadata::keys {
namespace {

using namespace std::string_literals;

const std::string kD = "sha256:" + std::string(64, 'a');

struct RoundTrip {
  std::string key;
  std::string bytes;
  ParsedKey parsed;
};

TEST(KeysTest, EncodingAndRoundTrip) {
  const std::vector<RoundTrip> cases = {
      {version(), "version", {KeyKind::version, "", "", ""}},
      {namespace_labels("lib/a"),
       "v1\0lib/a\0labels"s,
       {KeyKind::namespace_labels, "lib/a", "", ""}},
      {blob("a", kD), "v1\0a\0blob\0"s + kD, {KeyKind::blob, "a", kD, ""}},
      {ingest("a", "up-1"), "v1\0a\0ingest\0up-1"s, {KeyKind::ingest, "a", "up-1", ""}},
      {tag("a/b", "v1.0"), "v1\0a/b\0tag\0v1.0"s, {KeyKind::tag, "a/b", "v1.0", ""}},
      {manifest("a", kD), "v1\0a\0manifest\0"s + kD, {KeyKind::manifest, "a", kD, ""}},
      {referrer("a", kD, "sha256:bb"),
       "v1\0a\0referrer\0"s + kD + "\0sha256:bb"s,
       {KeyKind::referrer, "a", kD, "sha256:bb"}},
      {lease("a", "l1"), "v1\0a\0lease\0l1"s, {KeyKind::lease, "a", "l1", ""}},
      {lease_blob("a", "l1", kD),
       "v1\0a\0lease\0l1\0blob\0"s + kD,
       {KeyKind::lease_blob, "a", "l1", kD}},
      {lease_ingest("a", "l1", "r"),
       "v1\0a\0lease\0l1\0ingest\0r"s,
       {KeyKind::lease_ingest, "a", "l1", "r"}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(c.key, c.bytes);
    auto parsed = parse(c.key);
    ASSERT_TRUE(parsed.has_value()) << c.parsed.name;
    EXPECT_EQ(*parsed, c.parsed);
    if (c.parsed.kind != KeyKind::version) {
      EXPECT_EQ(namespace_of(c.key), c.parsed.ns);
      EXPECT_TRUE(c.key.starts_with(namespace_prefix(c.parsed.ns)));
      EXPECT_LT(c.key, namespace_end(c.parsed.ns));
      EXPECT_TRUE(c.key.starts_with(schema_prefix()));
      EXPECT_LT(c.key, schema_end());
    }
  }
}

TEST(KeysTest, PrefixesCoverTheirKeys) {
  EXPECT_TRUE(blob("a", kD).starts_with(blob_prefix("a")));
  EXPECT_TRUE(ingest("a", "r").starts_with(ingest_prefix("a")));
  EXPECT_TRUE(tag("a", "t").starts_with(tag_prefix("a")));
  EXPECT_TRUE(manifest("a", kD).starts_with(manifest_prefix("a")));
  EXPECT_TRUE(referrer("a", kD, "x").starts_with(referrer_prefix("a", kD)));
  EXPECT_TRUE(referrer("a", kD, "x").starts_with(referrers_prefix("a")));
  EXPECT_TRUE(lease_blob("a", "l", kD).starts_with(lease_resources_prefix("a", "l")));
  EXPECT_TRUE(lease_blob("a", "l", kD).starts_with(lease_prefix("a")));
  EXPECT_LT(lease_ingest("a", "l", "r"), lease_end("a", "l"));
  EXPECT_GT(lease("a", "l.x"), lease_end("a", "l"));
  // A namespace's prefix never covers another namespace whose name extends it.
  EXPECT_FALSE(blob("a/b", kD).starts_with(namespace_prefix("a")));
  EXPECT_FALSE(tag("ab", "t").starts_with(namespace_prefix("a")));
}

TEST(KeysTest, OrderMatchesLexicalOrderOfComponents) {
  // Sorting keys must sort namespaces and tags as plain strings sort.
  const std::vector<std::string> names = {"a", "a-b", "a.b", "a/b", "a/b/c", "a0", "ab", "b"};
  std::vector<std::string> ks;
  for (const auto& n : names)
    ks.push_back(tag(n, "latest"));
  std::vector<std::string> sorted = ks;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(ks, sorted);
  // Every key of "a" sorts before namespace_end("a") and every key of the next namespace after.
  EXPECT_LT(lease_ingest("a", "zzz", "zzz"), namespace_end("a"));
  EXPECT_GT(namespace_labels("a-b"), namespace_end("a"));
  EXPECT_GT(namespace_labels("a/b"), namespace_end("a"));

  const std::vector<std::string> tags = {"1", "10", "2", "A", "Z", "_", "a", "a.b", "a_b", "ab"};
  std::vector<std::string> tk;
  for (const auto& t : tags)
    tk.push_back(tag("ns", t));
  std::vector<std::string> tks = tk;
  std::sort(tks.begin(), tks.end());
  EXPECT_EQ(tk, tks);
}

TEST(KeysTest, SuccessorSkipsExactlyOneKey) {
  const std::string k = tag("a", "v1");
  EXPECT_GT(successor(k), k);
  EXPECT_LT(successor(k), tag("a", "v1.0"));
  EXPECT_LT(successor(k), tag("a", "v10"));
  EXPECT_LT(successor(k), tag("a", "v1-"));
}

TEST(KeysTest, ParseRejectsForeignKeys) {
  const std::vector<std::string> bad = {
      "",
      "v1",
      "v2\0a\0blob\0x"s,
      "v1\0a"s,
      "v1\0\0blob\0x"s,
      "v1\0a\0blob"s,
      "v1\0a\0blob\0"s,
      "v1\0a\0unknown\0x"s,
      "v1\0a\0labels\0x"s,
      "v1\0a\0referrer\0s"s,
      "v1\0a\0lease\0l\0blob"s,
      "v1\0a\0lease\0l\0snap\0x"s,
      "v1\0a\0tag\0t\0extra"s,
  };
  for (const auto& k : bad)
    EXPECT_FALSE(parse(k).has_value()) << k;
  EXPECT_FALSE(namespace_of("version").has_value());
  EXPECT_FALSE(namespace_of("v1\0\0x"s).has_value());
}

}  // namespace
}  // namespace cairn::metadata::keys
