#include "storage/metadata/leases.h"
#include "storage/metadata/namespaces.h"

#include "storage/metadata/keys.h"
#include "tests/unit/storage/metadata/fixture.h"

#include <string>
#include <vector>

namespace cairn::metadata {
namespace {

using testing::DatabaseTest;

class LeasesTest : public DatabaseTest {
 protected:
  LeaseStore leases_{db()};
};

TEST_F(LeasesTest, CreateGetListRemove) {
  auto l = leases_.create("repo", {"b-lease", {{"purpose", "push"}}, std::nullopt});
  ASSERT_TRUE(l) << l.error().detail;
  EXPECT_EQ(l->id, "b-lease");
  EXPECT_EQ(l->created_at, clock_.now());
  EXPECT_FALSE(l->expire_at);
  EXPECT_EQ(leases_.get("repo", "b-lease").value(), *l);
  EXPECT_EQ(leases_.create("repo", {"b-lease", {}, std::nullopt}).error().code,
            Errc::already_exists);
  EXPECT_TRUE(leases_.create("other", {"b-lease", {}, std::nullopt}));  // per namespace

  auto generated = leases_.create("repo", {});
  ASSERT_TRUE(generated);
  EXPECT_FALSE(generated->id.empty());
  auto generated2 = leases_.create("repo", {});
  ASSERT_TRUE(generated2);
  EXPECT_NE(generated->id, generated2->id);

  ASSERT_TRUE(leases_.create("repo", {"a-lease", {}, std::nullopt}));
  ASSERT_TRUE(leases_.add_resource("repo", "a-lease", {ResourceKind::ingest, "up"}));
  std::vector<std::string> ids;
  for (const auto& x : leases_.list("repo").value())
    ids.push_back(x.id);
  std::vector<std::string> want = {"a-lease", "b-lease", generated->id, generated2->id};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(ids, want);

  ASSERT_TRUE(leases_.remove("repo", "a-lease"));
  EXPECT_TRUE(db().dirty());
  EXPECT_EQ(leases_.get("repo", "a-lease").error().code, Errc::not_found);
  EXPECT_EQ(leases_.remove("repo", "a-lease").error().code, Errc::not_found);
  // Its resources went with it.
  bool any = false;
  ASSERT_TRUE(db().scan(keys::lease_resources_prefix("repo", "a-lease"), {},
                        [&](std::string_view, std::string_view) { return any = true, false; }));
  EXPECT_FALSE(any);

  EXPECT_EQ(leases_.create("repo", {"bad id!", {}, std::nullopt}).error().code,
            Errc::invalid_argument);
  EXPECT_EQ(
      leases_.create("repo", {"big", {{"k", std::string(5000, 'x')}}, std::nullopt}).error().code,
      Errc::invalid_argument);
}

TEST_F(LeasesTest, ExpiryFromOptionOrLabel) {
  auto from_label =
      leases_.create("repo", {"l1", {{std::string(kExpireLabel), "2030-01-02T03:04:05Z"}}, {}});
  ASSERT_TRUE(from_label);
  ASSERT_TRUE(from_label->expire_at);
  EXPECT_EQ(to_unix_nanos(*from_label->expire_at), 1'893'553'445'000'000'000);
  EXPECT_EQ(from_label->labels.count(std::string(kExpireLabel)), 1u);

  const Timestamp t = clock_.now() + std::chrono::hours(1);
  auto explicit_expiry =
      leases_.create("repo", {"l2", {{std::string(kExpireLabel), "2030-01-02T03:04:05Z"}}, t});
  ASSERT_TRUE(explicit_expiry);
  EXPECT_EQ(explicit_expiry->expire_at, t);
  EXPECT_EQ(leases_.get("repo", "l2")->expire_at, t);

  EXPECT_EQ(
      leases_.create("repo", {"l3", {{std::string(kExpireLabel), "tomorrow"}}, {}}).error().code,
      Errc::invalid_argument);
  EXPECT_EQ(leases_.get("repo", "l3").error().code, Errc::not_found);
}

TEST_F(LeasesTest, Resources) {
  ASSERT_TRUE(leases_.create("repo", {"l", {}, std::nullopt}));
  const Digest d1 = digest("one");
  const Digest d2 = digest("two");
  ASSERT_TRUE(leases_.add_resource("repo", "l", {ResourceKind::content, d1.str()}));
  ASSERT_TRUE(leases_.add_resource("repo", "l", {ResourceKind::content, d2.str()}));
  ASSERT_TRUE(leases_.add_resource("repo", "l", {ResourceKind::content, d1.str()}));  // idempotent
  ASSERT_TRUE(leases_.add_resource("repo", "l", {ResourceKind::ingest, "upload/1"}));
  std::vector<LeaseResource> want = {{ResourceKind::content, std::min(d1, d2).str()},
                                     {ResourceKind::content, std::max(d1, d2).str()},
                                     {ResourceKind::ingest, "upload/1"}};
  EXPECT_EQ(leases_.list_resources("repo", "l").value(), want);

  EXPECT_FALSE(db().dirty());
  ASSERT_TRUE(leases_.remove_resource("repo", "l", {ResourceKind::content, d1.str()}));
  EXPECT_TRUE(db().dirty());
  ASSERT_TRUE(leases_.remove_resource("repo", "l", {ResourceKind::content, d1.str()}));
  EXPECT_EQ(leases_.list_resources("repo", "l").value().size(), 2u);

  EXPECT_EQ(leases_.add_resource("repo", "l", {ResourceKind::content, "md5:abc"}).error().code,
            Errc::invalid_argument);
  EXPECT_EQ(leases_.add_resource("repo", "l", {ResourceKind::ingest, ""}).error().code,
            Errc::invalid_argument);
  EXPECT_EQ(leases_.add_resource("repo", "none", {ResourceKind::ingest, "r"}).error().code,
            Errc::not_found);
  EXPECT_EQ(leases_.list_resources("repo", "none").error().code, Errc::not_found);
  EXPECT_EQ(resource_kind_from_name("content"), ResourceKind::content);
  EXPECT_EQ(resource_kind_from_name(resource_kind_name(ResourceKind::ingest)),
            ResourceKind::ingest);
  EXPECT_FALSE(resource_kind_from_name("snapshots"));
}

class NamespacesTest : public DatabaseTest {
 protected:
  NamespaceStore namespaces_{db()};
  LeaseStore leases_{db()};
};

TEST_F(NamespacesTest, ListIsLexicalPagedAndSkipsContents) {
  // Namespaces come into being through any key; some hold many keys.
  const std::vector<std::string> names = {"b", "a/b", "a", "a-b", "a.b", "z/y/x", "a0"};
  for (const auto& n : names) {
    ASSERT_TRUE(leases_.create(n, {"l", {}, std::nullopt}));
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(leases_.add_resource(n, "l", {ResourceKind::ingest, "r" + std::to_string(i)}));
    }
  }
  const std::vector<std::string> sorted = {"a", "a-b", "a.b", "a/b", "a0", "b", "z/y/x"};
  auto all = namespaces_.list().value();
  EXPECT_EQ(all.names, sorted);
  EXPECT_FALSE(all.more);

  std::vector<std::string> paged;
  std::string last;
  while (true) {
    auto page = namespaces_.list(last, 2).value();
    paged.insert(paged.end(), page.names.begin(), page.names.end());
    if (!page.more)
      break;
    last = page.names.back();
  }
  EXPECT_EQ(paged, sorted);
  EXPECT_EQ(namespaces_.list("a.b", 2).value().names, (std::vector<std::string>{"a/b", "a0"}));
  EXPECT_EQ(namespaces_.list("c").value().names, (std::vector<std::string>{"z/y/x"}));
  EXPECT_EQ(namespaces_.list("Bad").error().code, Errc::invalid_argument);

  EXPECT_TRUE(namespaces_.exists("a/b").value());
  EXPECT_FALSE(namespaces_.exists("a/c").value());
  EXPECT_FALSE(namespaces_.exists("z/y").value());  // a prefix of a name is not a namespace
}

TEST_F(NamespacesTest, LabelsCreateRemove) {
  EXPECT_EQ(namespaces_.labels("nope").error().code, Errc::not_found);
  ASSERT_TRUE(namespaces_.create("team/x", {{"owner", "me"}}));
  EXPECT_EQ(namespaces_.create("team/x").error().code, Errc::already_exists);
  EXPECT_EQ(namespaces_.labels("team/x").value(), (Labels{{"owner", "me"}}));

  std::vector<std::string> paths = {"labels.env"};
  EXPECT_EQ(namespaces_.update_labels("team/x", {{"env", "prod"}}, paths).value(),
            (Labels{{"env", "prod"}, {"owner", "me"}}));
  paths = {"labels.owner"};
  EXPECT_EQ(namespaces_.update_labels("team/x", {}, paths).value(), (Labels{{"env", "prod"}}));
  EXPECT_EQ(namespaces_.update_labels("team/x", {{"k", std::string(5000, 'v')}}, {}).error().code,
            Errc::invalid_argument);
  paths = {"name"};
  EXPECT_EQ(namespaces_.update_labels("team/x", {}, paths).error().code, Errc::invalid_argument);
  EXPECT_EQ(namespaces_.labels("team/x").value(), (Labels{{"env", "prod"}}));

  // update_labels creates; a namespace without a labels record has empty labels.
  ASSERT_TRUE(namespaces_.update_labels("team/y", {{"a", "b"}}, {}));
  EXPECT_TRUE(namespaces_.exists("team/y").value());
  ASSERT_TRUE(leases_.create("team/z", {"l", {}, std::nullopt}));
  EXPECT_TRUE(namespaces_.labels("team/z").value().empty());

  // Only an empty namespace can be removed.
  EXPECT_EQ(namespaces_.remove("team/z").error().code, Errc::failed_precondition);
  ASSERT_TRUE(namespaces_.remove("team/x"));
  EXPECT_FALSE(namespaces_.exists("team/x").value());
  EXPECT_EQ(namespaces_.remove("team/x").error().code, Errc::not_found);
  EXPECT_EQ(namespaces_.list().value().names, (std::vector<std::string>{"team/y", "team/z"}));
}

}  // namespace
}  // namespace cairn::metadata
