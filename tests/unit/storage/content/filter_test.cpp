#include "storage/content/filter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cairn::content {
namespace {

Info sample() {
  Info info;
  info.digest = digest_of("sample");
  info.size = 42;
  info.labels = {{"kind", "layer"},
                 {"a.b", "x"},
                 {"containerd.io/gc.ref", "sha256:abc"},
                 {"quote\"d", "v,1"},
                 {"empty", ""}};
  return info;
}

struct MatchCase {
  std::string name;
  std::vector<std::string> filters;
  bool match;
};

class FilterMatch : public ::testing::TestWithParam<MatchCase> {};

TEST_P(FilterMatch, Case) {
  const MatchCase& c = GetParam();
  auto f = Filter::parse(c.filters);
  ASSERT_TRUE(f.has_value()) << f.error().detail;
  EXPECT_EQ(f->match(sample()), c.match);
}

const std::string kSampleDigest = digest_of("sample").str();

INSTANTIATE_TEST_SUITE_P(
    Cases, FilterMatch,
    ::testing::Values(
        MatchCase{"no_filters", {}, true}, MatchCase{"blank_string", {"  "}, true},
        MatchCase{"digest_eq", {"digest==" + kSampleDigest}, true},
        MatchCase{"digest_eq_other", {"digest==" + digest_of("x").str()}, false},
        MatchCase{"digest_ne", {"digest!=" + digest_of("x").str()}, true},
        MatchCase{"digest_present", {"digest"}, true},
        MatchCase{"digest_quoted", {"digest==\"" + kSampleDigest + "\""}, true},
        MatchCase{"size_eq", {"size==42"}, true}, MatchCase{"size_eq_other", {"size==41"}, false},
        MatchCase{"size_ne", {"size!=41"}, true}, MatchCase{"size_regex", {"size~=^4"}, true},
        MatchCase{"label_eq", {"labels.kind==layer"}, true},
        MatchCase{"label_quoted_key", {R"(labels."kind"==layer)"}, true},
        MatchCase{"label_eq_other", {"labels.kind==config"}, false},
        MatchCase{"label_dotted_unquoted", {"labels.a.b==x"}, true},
        MatchCase{"label_dotted_quoted", {R"(labels."a.b"==x)"}, true},
        MatchCase{"label_slash_key", {R"(labels."containerd.io/gc.ref")"}, true},
        MatchCase{"label_escaped_key_and_value", {R"(labels."quote\"d"=="v,1")"}, true},
        MatchCase{"label_present", {"labels.kind"}, true},
        MatchCase{"label_absent", {"labels.nope"}, false},
        MatchCase{"label_empty_value_present", {"labels.empty"}, true},
        MatchCase{"label_empty_value_eq", {R"(labels.empty=="")"}, true},
        MatchCase{"label_ne", {"labels.kind!=config"}, true},
        MatchCase{"label_ne_same", {"labels.kind!=layer"}, false},
        MatchCase{"label_ne_absent", {"labels.nope!=x"}, true},
        MatchCase{"label_regex", {"labels.kind~=^la.er$"}, true},
        MatchCase{"label_regex_search", {"labels.kind~=ye"}, true},
        MatchCase{"label_regex_no", {"labels.kind~=^con"}, false},
        MatchCase{"label_regex_absent", {"labels.nope~=.*"}, false},
        MatchCase{"and_all", {"labels.kind==layer,size==42"}, true},
        MatchCase{"and_one_fails", {"labels.kind==layer,size==1"}, false},
        MatchCase{"and_spaces", {" labels.kind == layer , size == 42 "}, true},
        MatchCase{"or_one", {"size==1", "labels.kind==layer"}, true},
        MatchCase{"or_none", {"size==1", "labels.kind==config"}, false},
        MatchCase{"or_with_blank", {"size==1", ""}, true}),
    [](const ::testing::TestParamInfo<MatchCase>& info) { return info.param.name; });

struct BadCase {
  std::string name;
  std::string filter;
  std::string detail_has;
};

class FilterInvalid : public ::testing::TestWithParam<BadCase> {};

TEST_P(FilterInvalid, Case) {
  const BadCase& c = GetParam();
  std::vector<std::string> filters = {"size==1", c.filter};
  auto f = Filter::parse(filters);
  ASSERT_FALSE(f.has_value()) << c.filter;
  EXPECT_EQ(f.error().code, Errc::invalid_argument);
  EXPECT_NE(f.error().detail.find(c.detail_has), std::string::npos) << f.error().detail;
  EXPECT_NE(f.error().detail.find("filter 1 "), std::string::npos) << f.error().detail;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, FilterInvalid,
    ::testing::Values(BadCase{"unknown_field", "color==red", "unknown field 'color'"},
                      BadCase{"labels_without_key", "labels==x", "labels needs a key"},
                      BadCase{"digest_subfield", "digest.x==y", "unknown field"},
                      BadCase{"missing_value", "labels.k==", "column 11: expected a value"},
                      BadCase{"missing_value_before_comma", "labels.k==,size==1",
                              "expected a value"},
                      BadCase{"single_equals", "labels.k=v", "expected '=='"},
                      BadCase{"bad_operator", "labels.k<v", "expected '=='"},
                      BadCase{"empty_field", "labels..k", "expected a field name"},
                      BadCase{"leading_comma", ",size==1", "expected a field name"},
                      BadCase{"trailing_comma", "size==1,", "expected a field name"},
                      BadCase{"unterminated_quote", R"(labels."k==v)", "unterminated"},
                      BadCase{"bad_escape", R"(labels."k\n"==v)", "unknown escape"},
                      BadCase{"junk_after_value", R"(labels.k=="v"x)", "expected ','"},
                      BadCase{"size_not_number", "size==abc", "size must be"},
                      BadCase{"size_negative", "size==-1", "size must be"},
                      BadCase{"bad_regex", "labels.k~=([", "invalid regular expression"},
                      BadCase{"too_long", "labels.k==" + std::string(5000, 'x'), "longer than"}),
    [](const ::testing::TestParamInfo<BadCase>& info) { return info.param.name; });

TEST(Filter, EmptyMatchesAll) {
  auto f = Filter::parse({});
  ASSERT_TRUE(f.has_value());
  EXPECT_TRUE(f->empty());
  EXPECT_TRUE(f->match(Info{}));
  std::vector<std::string> one = {"size==1"};
  auto g = Filter::parse(one);
  ASSERT_TRUE(g.has_value());
  EXPECT_FALSE(g->empty());
  Filter moved = std::move(*g);
  EXPECT_FALSE(moved.match(sample()));
}

// A pattern that makes a backtracking matcher take exponential time ("(a+)+$" against 40 'a's
// and a '!': 2^40 ways to split the run). std::regex never finished (a probe held every core
// with 8 such requests); RE2 matches in time linear in the value, so the answer is immediate.
TEST(Filter, CatastrophicPatternIsLinear) {
  std::vector<std::string> filters = {"labels.x~=\"(a+)+$\""};
  auto f = Filter::parse(filters);
  ASSERT_TRUE(f.has_value()) << f.error().detail;
  Info info;
  info.labels = {{"x", std::string(40, 'a') + "!"}};
  EXPECT_FALSE(f->match(info));
  info.labels = {{"x", std::string(40, 'a')}};
  EXPECT_TRUE(f->match(info));
}

// Go's regexp syntax (RE2): no backreferences, which are what makes matching non-linear.
TEST(Filter, BackreferencesAreRefused) {
  std::vector<std::string> filters = {"labels.x~=\"(a)\\\\1\""};
  auto f = Filter::parse(filters);
  ASSERT_FALSE(f.has_value());
  EXPECT_NE(f.error().detail.find("invalid regular expression"), std::string::npos);
}

}  // namespace
}  // namespace cairn::content
