// StoreSuite: the typed test suite every content::Store implementation must pass.
//
// Header-only. To run it against a store, write a Factory and instantiate the suite:
//
//   struct MyFactory {
//     // Builds a fresh store whose files live under `dir` (an empty temp directory that
//     // outlives the harness). The returned pointer-like object must offer:
//     //   cairn::content::Store& store();   the store under test
//     //   void reopen();                    destroy the store and open it again over the same
//     //                                     files, as a process restart would (the suite closes
//     //                                     every Writer and ReaderAt first)
//     //   cairn::ManualClock& clock();      the clock the store reads; the suite moves it
//     static std::unique_ptr<MyHarness> make(const std::filesystem::path& dir);
//   };
//   using MyFactories = ::testing::Types<MyFactory>;
//   namespace cairn::testing {  // the suite's namespace
//   INSTANTIATE_TYPED_TEST_SUITE_P(My, StoreSuite, MyFactories);
//   }
//
// What the suite assumes beyond store.h: timestamps come from the harness's ManualClock
// (created_at is the clock's time at commit, started_at at the first writer(), updated_at at the
// last change); the clock only moves when the suite moves it; labels need not survive reopen();
// the bounded wait for a busy ref is short.
#pragma once

#include "storage/common/clock.h"
#include "storage/content/digest.h"
#include "storage/content/store.h"
#include "tests/support/temp_dir.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace cairn::testing::store_suite {

using content::Digest;
using content::Labels;
using content::Store;
using content::WriterOptions;

// Asserts a Result holds a value, printing the error otherwise.
#define CAIRN_ASSERT_OK(expr)                                                 \
  do {                                                                        \
    const auto& cairn_r_ = (expr);                                            \
    ASSERT_TRUE(cairn_r_.has_value())                                         \
        << #expr << ": " << ::cairn::errc_name(cairn_r_.error().code) << ": " \
        << cairn_r_.error().detail;                                           \
  } while (0)

// Asserts a Result holds an error with code `errc`.
#define CAIRN_ASSERT_ERR(expr, errc)                                              \
  do {                                                                            \
    const auto& cairn_r_ = (expr);                                                \
    ASSERT_FALSE(cairn_r_.has_value()) << #expr << " succeeded, expected " #errc; \
    ASSERT_EQ(cairn_r_.error().code, errc)                                        \
        << #expr << ": " << ::cairn::errc_name(cairn_r_.error().code) << ": "     \
        << cairn_r_.error().detail;                                               \
  } while (0)

inline Digest digest(std::string_view data, content::Algorithm alg = content::Algorithm::sha256) {
  return content::digest_of(data, alg);
}

// A deterministic pseudo-random payload of `n` bytes.
inline std::string payload(size_t n, uint32_t seed = 1) {
  std::string s(n, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (char& c : s) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return s;
}

// Reads a whole blob through a ReaderAt in small pieces.
inline Result<std::string> read_all(Store& store, const Digest& d) {
  auto r = store.reader(d);
  if (!r)
    return r.error();
  std::string out;
  std::vector<std::byte> buf(4096);
  for (;;) {
    auto n = (*r)->read_at(buf, static_cast<int64_t>(out.size()));
    if (!n)
      return n.error();
    if (*n == 0)
      break;
    out.append(reinterpret_cast<const char*>(buf.data()), *n);
  }
  return out;
}

// Writes `data` under `ref` and commits it with size and digest checks.
inline Result<Digest> put(Store& store, const std::string& ref, std::string_view data,
                          const Labels& labels = {},
                          content::Algorithm alg = content::Algorithm::sha256) {
  Digest d = digest(data, alg);
  auto w = store.writer(WriterOptions{ref, static_cast<int64_t>(data.size()), d});
  if (!w)
    return w.error();
  if (auto r = (*w)->write(data); !r)
    return r.error();
  if (auto r = (*w)->commit(static_cast<int64_t>(data.size()), d, labels); !r)
    return r.error();
  return d;
}

}  // namespace cairn::testing::store_suite

namespace cairn::testing {
using namespace store_suite;  // NOLINT: the helpers above, for the test bodies below

template <class Factory>
class StoreSuite : public ::testing::Test {
 protected:
  void SetUp() override { harness_ = Factory::make(dir_.path()); }
  void TearDown() override { harness_.reset(); }

  Store& store() { return harness_->store(); }
  ManualClock& clock() { return harness_->clock(); }
  void reopen() { harness_->reopen(); }

  TempDir dir_;
  decltype(Factory::make(std::declval<const std::filesystem::path&>())) harness_;
};

TYPED_TEST_SUITE_P(StoreSuite);

TYPED_TEST_P(StoreSuite, WriteCommitReadBack) {
  Store& s = this->store();
  const std::string data = "hello, world";
  const Digest d = digest(data);
  auto w = s.writer(WriterOptions{"upload-1", 0, std::nullopt});
  CAIRN_ASSERT_OK(w);
  CAIRN_ASSERT_OK((*w)->write(std::string_view(data).substr(0, 5)));
  CAIRN_ASSERT_OK((*w)->write(std::string_view(data).substr(5)));
  EXPECT_EQ((*w)->digest(), d);
  auto st = (*w)->status();
  CAIRN_ASSERT_OK(st);
  EXPECT_EQ(st->ref, "upload-1");
  EXPECT_EQ(st->offset, static_cast<int64_t>(data.size()));

  this->clock().advance(std::chrono::seconds(5));
  const Timestamp committed_at = this->clock().now();
  CAIRN_ASSERT_OK((*w)->commit(static_cast<int64_t>(data.size()), d));
  CAIRN_ASSERT_ERR((*w)->write("more"), Errc::failed_precondition);
  CAIRN_ASSERT_ERR((*w)->commit(0, std::nullopt), Errc::failed_precondition);
  w->reset();

  auto info = s.info(d);
  CAIRN_ASSERT_OK(info);
  EXPECT_EQ(info->digest, d);
  EXPECT_EQ(info->size, static_cast<int64_t>(data.size()));
  EXPECT_EQ(info->created_at, committed_at);
  EXPECT_TRUE(info->labels.empty());
  auto back = read_all(s, d);
  CAIRN_ASSERT_OK(back);
  EXPECT_EQ(*back, data);
  CAIRN_ASSERT_ERR(s.status("upload-1"), Errc::not_found);
  CAIRN_ASSERT_ERR(s.info(digest("something else")), Errc::not_found);
  CAIRN_ASSERT_ERR(s.reader(digest("something else")), Errc::not_found);
}

TYPED_TEST_P(StoreSuite, CommitWithoutSizeOrDigestAndWithLabels) {
  Store& s = this->store();
  auto w = s.writer(WriterOptions{"r", 0, std::nullopt});
  CAIRN_ASSERT_OK(w);
  CAIRN_ASSERT_OK((*w)->write("abc"));
  CAIRN_ASSERT_OK((*w)->commit(0, std::nullopt, Labels{{"k", "v"}}));
  auto info = s.info(digest("abc"));
  CAIRN_ASSERT_OK(info);
  EXPECT_EQ(info->labels, (Labels{{"k", "v"}}));
  EXPECT_EQ(info->size, 3);
}

TYPED_TEST_P(StoreSuite, EmptyContent) {
  auto d = put(this->store(), "empty", "");
  CAIRN_ASSERT_OK(d);
  EXPECT_EQ(d->str(), "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  auto back = read_all(this->store(), *d);
  CAIRN_ASSERT_OK(back);
  EXPECT_EQ(*back, "");
}

TYPED_TEST_P(StoreSuite, ResumeAfterReopen) {
  const std::string data = payload(300'000);
  const Digest d = digest(data);
  const Timestamp opened_at = this->clock().now();
  {
    auto w = this->store().writer(WriterOptions{"resume-me", static_cast<int64_t>(data.size()), d});
    CAIRN_ASSERT_OK(w);
    CAIRN_ASSERT_OK((*w)->write(std::string_view(data).substr(0, 123'457)));
  }
  this->clock().advance(std::chrono::minutes(1));
  this->reopen();
  Store& s = this->store();

  auto st = s.status("resume-me");
  CAIRN_ASSERT_OK(st);
  EXPECT_EQ(st->offset, 123'457);
  EXPECT_EQ(st->total, static_cast<int64_t>(data.size()));
  ASSERT_TRUE(st->expected.has_value());
  EXPECT_EQ(*st->expected, d);
  EXPECT_EQ(st->started_at, opened_at);

  // A total that contradicts the recorded one is refused; the ingest is untouched.
  CAIRN_ASSERT_ERR(s.writer(WriterOptions{"resume-me", 42, std::nullopt}), Errc::invalid_argument);

  auto w = s.writer(WriterOptions{"resume-me", 0, std::nullopt});
  CAIRN_ASSERT_OK(w);
  auto wst = (*w)->status();
  CAIRN_ASSERT_OK(wst);
  EXPECT_EQ(wst->offset, 123'457);
  EXPECT_EQ(wst->started_at, opened_at);
  EXPECT_EQ((*w)->digest(), digest(std::string_view(data).substr(0, 123'457)));
  CAIRN_ASSERT_OK((*w)->write(std::string_view(data).substr(123'457)));
  EXPECT_EQ((*w)->digest(), d);
  CAIRN_ASSERT_OK((*w)->commit(static_cast<int64_t>(data.size()), d));
  auto back = read_all(s, d);
  CAIRN_ASSERT_OK(back);
  EXPECT_TRUE(*back == data);
}

TYPED_TEST_P(StoreSuite, ResumeInProcess) {
  Store& s = this->store();
  {
    auto w = s.writer(WriterOptions{"again", 0, std::nullopt});
    CAIRN_ASSERT_OK(w);
    CAIRN_ASSERT_OK((*w)->write("first "));
  }
  auto w = s.writer(WriterOptions{"again", 0, std::nullopt});
  CAIRN_ASSERT_OK(w);
  EXPECT_EQ((*w)->status()->offset, 6);
  CAIRN_ASSERT_OK((*w)->write("second"));
  CAIRN_ASSERT_OK((*w)->commit(12, digest("first second")));
}

TYPED_TEST_P(StoreSuite, Truncate) {
  Store& s = this->store();
  auto w = s.writer(WriterOptions{"t", 0, std::nullopt});
  CAIRN_ASSERT_OK(w);
  CAIRN_ASSERT_OK((*w)->write("abcdef"));
  CAIRN_ASSERT_OK((*w)->truncate(0));
  EXPECT_EQ((*w)->status()->offset, 0);
  EXPECT_EQ((*w)->digest(), digest(""));
  CAIRN_ASSERT_OK((*w)->write("xyz"));
  CAIRN_ASSERT_OK((*w)->truncate(1));
  EXPECT_EQ((*w)->status()->offset, 1);
  EXPECT_EQ((*w)->digest(), digest("x"));
  CAIRN_ASSERT_ERR((*w)->truncate(2), Errc::range_invalid);
  CAIRN_ASSERT_ERR((*w)->truncate(-1), Errc::range_invalid);
  CAIRN_ASSERT_OK((*w)->truncate(1));  // to the current offset: a no-op
  CAIRN_ASSERT_OK((*w)->write("y"));
  CAIRN_ASSERT_OK((*w)->commit(2, digest("xy")));
  auto back = read_all(s, digest("xy"));
  CAIRN_ASSERT_OK(back);
  EXPECT_EQ(*back, "xy");
}

TYPED_TEST_P(StoreSuite, MismatchKeepsIngestThenAbort) {
  Store& s = this->store();
  auto w = s.writer(WriterOptions{"bad", 0, std::nullopt});
  CAIRN_ASSERT_OK(w);
  CAIRN_ASSERT_OK((*w)->write("12345"));
  CAIRN_ASSERT_ERR((*w)->commit(6, digest("12345")), Errc::size_mismatch);
  CAIRN_ASSERT_ERR((*w)->commit(4, std::nullopt), Errc::size_mismatch);
  CAIRN_ASSERT_ERR((*w)->commit(5, digest("54321")), Errc::digest_mismatch);
  CAIRN_ASSERT_ERR((*w)->commit(0, digest("54321")), Errc::digest_mismatch);
  // Nothing became visible.
  CAIRN_ASSERT_ERR(s.info(digest("12345")), Errc::not_found);
  CAIRN_ASSERT_ERR(s.info(digest("54321")), Errc::not_found);
  // The ingest is kept, and a live writer blocks abort.
  auto st = s.status("bad");
  CAIRN_ASSERT_OK(st);
  EXPECT_EQ(st->offset, 5);
  CAIRN_ASSERT_ERR(s.abort("bad"), Errc::unavailable);
  w->reset();
  CAIRN_ASSERT_OK(s.abort("bad"));
  CAIRN_ASSERT_ERR(s.status("bad"), Errc::not_found);
  CAIRN_ASSERT_ERR(s.abort("bad"), Errc::not_found);
}

TYPED_TEST_P(StoreSuite, MismatchThenCorrectCommit) {
  Store& s = this->store();
  auto w = s.writer(WriterOptions{"fixme", 0, std::nullopt});
  CAIRN_ASSERT_OK(w);
  CAIRN_ASSERT_OK((*w)->write("12345"));
  CAIRN_ASSERT_ERR((*w)->commit(5, digest("nope")), Errc::digest_mismatch);
  CAIRN_ASSERT_OK((*w)->write("6"));
  CAIRN_ASSERT_OK((*w)->commit(6, digest("123456")));
  CAIRN_ASSERT_OK(s.info(digest("123456")));
}

TYPED_TEST_P(StoreSuite, AlreadyExists) {
  Store& s = this->store();
  auto d = put(s, "first", "same bytes", Labels{{"a", "1"}});
  CAIRN_ASSERT_OK(d);

  // Committing the same bytes again: already_exists, and the second ingest is gone.
  auto w = s.writer(WriterOptions{"second", 0, std::nullopt});
  CAIRN_ASSERT_OK(w);
  CAIRN_ASSERT_OK((*w)->write("same bytes"));
  CAIRN_ASSERT_ERR((*w)->commit(10, *d), Errc::already_exists);
  w->reset();
  CAIRN_ASSERT_ERR(s.status("second"), Errc::not_found);

  // Opening a writer for content that exists is refused up front.
  CAIRN_ASSERT_ERR(s.writer(WriterOptions{"third", 10, *d}), Errc::already_exists);
  CAIRN_ASSERT_ERR(s.status("third"), Errc::not_found);

  auto back = read_all(s, *d);
  CAIRN_ASSERT_OK(back);
  EXPECT_EQ(*back, "same bytes");
}

TYPED_TEST_P(StoreSuite, AbortRemovesIngest) {
  Store& s = this->store();
  {
    auto w = s.writer(WriterOptions{"gone", 0, std::nullopt});
    CAIRN_ASSERT_OK(w);
    CAIRN_ASSERT_OK((*w)->write("partial"));
  }
  CAIRN_ASSERT_OK(s.abort("gone"));
  CAIRN_ASSERT_ERR(s.status("gone"), Errc::not_found);
  auto list = s.list_statuses();
  CAIRN_ASSERT_OK(list);
  EXPECT_TRUE(list->empty());
  CAIRN_ASSERT_ERR(s.abort("never-was"), Errc::not_found);
  CAIRN_ASSERT_ERR(s.abort(""), Errc::invalid_argument);
  // The ref is free for a new ingest that starts from zero.
  auto w = s.writer(WriterOptions{"gone", 0, std::nullopt});
  CAIRN_ASSERT_OK(w);
  EXPECT_EQ((*w)->status()->offset, 0);
}

TYPED_TEST_P(StoreSuite, StatusAndListStatuses) {
  Store& s = this->store();
  const Timestamp t0 = this->clock().now();
  const Digest expected = digest("0123456789");
  auto wb = s.writer(WriterOptions{"b-ref", 10, expected});
  CAIRN_ASSERT_OK(wb);
  this->clock().advance(std::chrono::seconds(3));
  const Timestamp t1 = this->clock().now();
  auto wa = s.writer(WriterOptions{"a-ref", 0, std::nullopt});
  CAIRN_ASSERT_OK(wa);
  CAIRN_ASSERT_OK((*wb)->write("0123"));
  this->clock().advance(std::chrono::seconds(3));
  const Timestamp t2 = this->clock().now();
  CAIRN_ASSERT_OK((*wa)->write("xy"));

  auto wst = (*wa)->status();
  CAIRN_ASSERT_OK(wst);
  EXPECT_EQ(wst->started_at, t1);
  EXPECT_EQ(wst->updated_at, t2);

  auto st = s.status("b-ref");
  CAIRN_ASSERT_OK(st);
  EXPECT_EQ(st->ref, "b-ref");
  EXPECT_EQ(st->offset, 4);
  EXPECT_EQ(st->total, 10);
  ASSERT_TRUE(st->expected.has_value());
  EXPECT_EQ(*st->expected, expected);
  EXPECT_EQ(st->started_at, t0);
  EXPECT_GE(st->updated_at, st->started_at);

  auto list = s.list_statuses();
  CAIRN_ASSERT_OK(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].ref, "a-ref");
  EXPECT_EQ((*list)[0].offset, 2);
  EXPECT_EQ((*list)[0].total, 0);
  EXPECT_FALSE((*list)[0].expected.has_value());
  EXPECT_EQ((*list)[0].started_at, t1);
  EXPECT_EQ((*list)[1].ref, "b-ref");
  EXPECT_EQ((*list)[1].offset, 4);

  CAIRN_ASSERT_ERR(s.status("nope"), Errc::not_found);
  CAIRN_ASSERT_ERR(s.status(""), Errc::invalid_argument);

  // Closed ingests keep their status.
  wa->reset();
  wb->reset();
  auto list2 = s.list_statuses();
  CAIRN_ASSERT_OK(list2);
  ASSERT_EQ(list2->size(), 2u);
  EXPECT_EQ((*list2)[0].offset, 2);
  EXPECT_EQ((*list2)[0].updated_at, t2);
}

TYPED_TEST_P(StoreSuite, WalkWithFilters) {
  Store& s = this->store();
  auto d1 = put(s, "w1", "one", Labels{{"kind", "config"}, {"a.b", "x"}});
  auto d2 = put(s, "w2", "two!", Labels{{"kind", "layer"}});
  auto d3 = put(s, "w3", "three", {}, content::Algorithm::sha512);
  CAIRN_ASSERT_OK(d1);
  CAIRN_ASSERT_OK(d2);
  CAIRN_ASSERT_OK(d3);

  auto walk = [&](std::vector<std::string> filters) -> Result<std::vector<Digest>> {
    std::vector<Digest> seen;
    auto r = s.walk(
        [&](const content::Info& info) {
          seen.push_back(info.digest);
          return true;
        },
        filters);
    if (!r)
      return r.error();
    return seen;
  };
  std::vector<Digest> all = {*d1, *d2, *d3};
  std::sort(all.begin(), all.end());

  auto r = walk({});
  CAIRN_ASSERT_OK(r);
  EXPECT_EQ(*r, all);
  r = walk({R"(labels."kind"==layer)"});
  CAIRN_ASSERT_OK(r);
  EXPECT_EQ(*r, std::vector<Digest>{*d2});
  r = walk({"labels.kind"});
  CAIRN_ASSERT_OK(r);
  EXPECT_EQ(r->size(), 2u);
  r = walk({"size==5"});
  CAIRN_ASSERT_OK(r);
  EXPECT_EQ(*r, std::vector<Digest>{*d3});
  r = walk({"digest==" + d1->str()});
  CAIRN_ASSERT_OK(r);
  EXPECT_EQ(*r, std::vector<Digest>{*d1});
  r = walk({R"(labels."a.b"==x,labels.kind==config)"});
  CAIRN_ASSERT_OK(r);
  EXPECT_EQ(*r, std::vector<Digest>{*d1});
  r = walk({"labels.kind==layer", "size==5"});  // ORed
  CAIRN_ASSERT_OK(r);
  std::vector<Digest> two = {*d2, *d3};
  std::sort(two.begin(), two.end());
  EXPECT_EQ(*r, two);
  r = walk({"labels.kind!=layer"});
  CAIRN_ASSERT_OK(r);
  EXPECT_EQ(r->size(), 2u);
  r = walk({"digest~=^sha512:"});
  CAIRN_ASSERT_OK(r);
  EXPECT_EQ(*r, std::vector<Digest>{*d3});
  CAIRN_ASSERT_ERR(walk({"labels.kind=="}), Errc::invalid_argument);
  CAIRN_ASSERT_ERR(walk({"color==red"}), Errc::invalid_argument);

  // Returning false stops the walk.
  int calls = 0;
  CAIRN_ASSERT_OK(s.walk(
      [&](const content::Info&) {
        ++calls;
        return false;
      },
      {}));
  EXPECT_EQ(calls, 1);
}

TYPED_TEST_P(StoreSuite, UpdateFieldPaths) {
  Store& s = this->store();
  const Timestamp created = this->clock().now();
  auto d = put(s, "u", "labelled", Labels{{"a", "1"}, {"b", "2"}});
  CAIRN_ASSERT_OK(d);
  this->clock().advance(std::chrono::hours(1));
  const Timestamp later = this->clock().now();

  content::Info in;
  in.digest = *d;
  in.labels = {{"a", "10"}, {"c", "3"}};
  std::vector<std::string> paths = {"labels.a"};
  auto out = s.update(in, paths);
  CAIRN_ASSERT_OK(out);
  EXPECT_EQ(out->labels, (Labels{{"a", "10"}, {"b", "2"}}));
  EXPECT_EQ(out->created_at, created);
  EXPECT_EQ(out->updated_at, later);
  EXPECT_EQ(out->size, 8);

  paths = {"labels.b"};  // absent from the update: removed
  out = s.update(in, paths);
  CAIRN_ASSERT_OK(out);
  EXPECT_EQ(out->labels, (Labels{{"a", "10"}}));

  paths = {"labels"};
  out = s.update(in, paths);
  CAIRN_ASSERT_OK(out);
  EXPECT_EQ(out->labels, in.labels);

  in.labels = {{"only", "this"}};
  out = s.update(in, {});
  CAIRN_ASSERT_OK(out);
  EXPECT_EQ(out->labels, in.labels);
  auto info = s.info(*d);
  CAIRN_ASSERT_OK(info);
  EXPECT_EQ(info->labels, in.labels);
  EXPECT_EQ(info->updated_at, later);

  paths = {"size"};
  CAIRN_ASSERT_ERR(s.update(in, paths), Errc::invalid_argument);
  paths = {"labels."};
  CAIRN_ASSERT_ERR(s.update(in, paths), Errc::invalid_argument);
  in.labels = {{"big", std::string(content::kMaxLabelSize, 'x')}};
  CAIRN_ASSERT_ERR(s.update(in, {}), Errc::invalid_argument);
  info = s.info(*d);
  CAIRN_ASSERT_OK(info);
  EXPECT_EQ(info->labels, (Labels{{"only", "this"}}));  // failed updates change nothing

  in.digest = digest("absent");
  in.labels = {};
  CAIRN_ASSERT_ERR(s.update(in, {}), Errc::not_found);
}

TYPED_TEST_P(StoreSuite, OversizedLabelAtCommit) {
  Store& s = this->store();
  auto w = s.writer(WriterOptions{"big-label", 0, std::nullopt});
  CAIRN_ASSERT_OK(w);
  CAIRN_ASSERT_OK((*w)->write("x"));
  CAIRN_ASSERT_ERR((*w)->commit(1, digest("x"), Labels{{"k", std::string(5000, 'v')}}),
                   Errc::invalid_argument);
  CAIRN_ASSERT_ERR(s.info(digest("x")), Errc::not_found);
  CAIRN_ASSERT_OK((*w)->commit(1, digest("x")));
}

TYPED_TEST_P(StoreSuite, Remove) {
  Store& s = this->store();
  auto d = put(s, "rm", "remove me");
  CAIRN_ASSERT_OK(d);
  CAIRN_ASSERT_OK(s.remove(*d));
  CAIRN_ASSERT_ERR(s.info(*d), Errc::not_found);
  CAIRN_ASSERT_ERR(s.reader(*d), Errc::not_found);
  CAIRN_ASSERT_ERR(s.remove(*d), Errc::not_found);
  // The same bytes can be committed again.
  auto again = put(s, "rm2", "remove me");
  CAIRN_ASSERT_OK(again);
  EXPECT_EQ(*again, *d);
}

TYPED_TEST_P(StoreSuite, ReaderEdges) {
  Store& s = this->store();
  const std::string data = payload(10'000, 7);
  auto d = put(s, "edges", data);
  CAIRN_ASSERT_OK(d);
  auto r = s.reader(*d);
  CAIRN_ASSERT_OK(r);
  content::ReaderAt& reader = **r;
  EXPECT_EQ(reader.size(), 10'000);
  std::vector<std::byte> buf(100);
  auto n = reader.read_at(buf, 10'000);  // at the end
  CAIRN_ASSERT_OK(n);
  EXPECT_EQ(*n, 0u);
  n = reader.read_at(buf, 20'000);  // past the end
  CAIRN_ASSERT_OK(n);
  EXPECT_EQ(*n, 0u);
  CAIRN_ASSERT_ERR(reader.read_at(buf, -1), Errc::range_invalid);
  n = reader.read_at(buf, 9'950);  // a short read at the tail
  CAIRN_ASSERT_OK(n);
  ASSERT_EQ(*n, 50u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf.data()), 50), data.substr(9'950));
  n = reader.read_at(buf, 1234);
  CAIRN_ASSERT_OK(n);
  ASSERT_EQ(*n, 100u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf.data()), 100), data.substr(1234, 100));
  n = reader.read_at(std::span<std::byte>(), 0);
  CAIRN_ASSERT_OK(n);
  EXPECT_EQ(*n, 0u);
}

TYPED_TEST_P(StoreSuite, AWritersReaderFollowsItIntoTheBlob) {
  Store& s = this->store();
  // keep_pages: readers follow this writer (an object store spools only for those).
  WriterOptions opts{"follow", 0, std::nullopt};
  opts.keep_pages = true;
  auto w = s.writer(opts);
  CAIRN_ASSERT_OK(w);
  CAIRN_ASSERT_OK((*w)->write("abc"));
  auto r = (*w)->reader();
  CAIRN_ASSERT_OK(r);
  EXPECT_EQ((*r)->size(), 3);
  std::vector<std::byte> buf(16);
  auto n = (*r)->read_at(buf, 0);
  CAIRN_ASSERT_OK(n);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf.data()), *n), "abc");
  // Its descriptor reads what the writer adds later, through the commit.
  CAIRN_ASSERT_OK((*w)->write("def"));
  CAIRN_ASSERT_OK((*w)->commit(6, digest("abcdef")));
  ASSERT_GE((*r)->native_handle(), 0);
  char tail[8] = {};
  ASSERT_EQ(::pread((*r)->native_handle(), tail, sizeof tail, 0), 6);
  EXPECT_EQ(std::string(tail, 6), "abcdef");
  CAIRN_ASSERT_ERR((*w)->reader(), Errc::failed_precondition);
}

TYPED_TEST_P(StoreSuite, Sha512Content) {
  Store& s = this->store();
  const std::string data = payload(5000, 3);
  const Digest d = digest(data, content::Algorithm::sha512);
  auto w = s.writer(WriterOptions{"sha512", 0, d});
  CAIRN_ASSERT_OK(w);
  CAIRN_ASSERT_OK((*w)->write(data));
  EXPECT_EQ((*w)->digest(), d);  // the writer hashes with the expected digest's algorithm
  CAIRN_ASSERT_OK((*w)->commit(5000, d));
  auto info = s.info(d);
  CAIRN_ASSERT_OK(info);
  EXPECT_EQ(info->size, 5000);
  auto back = read_all(s, d);
  CAIRN_ASSERT_OK(back);
  EXPECT_TRUE(*back == data);
  CAIRN_ASSERT_ERR(s.info(digest(data)), Errc::not_found);  // not under its sha256
}

TYPED_TEST_P(StoreSuite, Sha512ExpectedOnlyAtCommit) {
  Store& s = this->store();
  const Digest d = digest("late", content::Algorithm::sha512);
  auto w = s.writer(WriterOptions{"late", 0, std::nullopt});
  CAIRN_ASSERT_OK(w);
  CAIRN_ASSERT_OK((*w)->write("late"));
  CAIRN_ASSERT_OK((*w)->commit(4, d));
  CAIRN_ASSERT_OK(s.info(d));
}

TYPED_TEST_P(StoreSuite, BadWriterOptions) {
  Store& s = this->store();
  CAIRN_ASSERT_ERR(s.writer(WriterOptions{"", 0, std::nullopt}), Errc::invalid_argument);
  CAIRN_ASSERT_ERR(s.writer(WriterOptions{"neg", -1, std::nullopt}), Errc::invalid_argument);
}

REGISTER_TYPED_TEST_SUITE_P(StoreSuite, WriteCommitReadBack, CommitWithoutSizeOrDigestAndWithLabels,
                            EmptyContent, ResumeAfterReopen, ResumeInProcess, Truncate,
                            MismatchKeepsIngestThenAbort, MismatchThenCorrectCommit, AlreadyExists,
                            AbortRemovesIngest, StatusAndListStatuses, WalkWithFilters,
                            UpdateFieldPaths, OversizedLabelAtCommit, Remove, ReaderEdges,
                            AWritersReaderFollowsItIntoTheBlob, Sha512Content,
                            Sha512ExpectedOnlyAtCommit, BadWriterOptions);

}  // namespace cairn::testing
