// ResumableHasher: the same digests as Hasher, and a saved state that resumes elsewhere.
#include "storage/content/resumable_hasher.h"

#include "storage/content/digest.h"

#include <gtest/gtest.h>

#include <string>

namespace cairn::content {
namespace {

std::string payload(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i)
    s[i] = static_cast<char>((i * 131 + 7) & 0xff);
  return s;
}

TEST(ResumableHasher, DigestsMatchHasher) {
  for (Algorithm alg : {Algorithm::sha256, Algorithm::sha512}) {
    for (size_t n : {0, 1, 63, 64, 65, 127, 128, 129, 100'000}) {
      const std::string data = payload(n);
      ResumableHasher h(alg);
      h.update(data);
      EXPECT_EQ(h.digest(), digest_of(data, alg)) << algorithm_name(alg) << " " << n;
      EXPECT_EQ(h.size(), n);
    }
  }
}

TEST(ResumableHasher, SavedStateResumesAtEverySplit) {
  const std::string data = payload(1000);
  for (Algorithm alg : {Algorithm::sha256, Algorithm::sha512}) {
    for (size_t split : {0, 1, 55, 64, 128, 500, 999, 1000}) {
      ResumableHasher first(alg);
      first.update(std::string_view(data).substr(0, split));
      const std::string saved = first.save();
      auto resumed = ResumableHasher::restore(alg, saved, split);
      ASSERT_TRUE(resumed) << resumed.error().detail;
      resumed->update(std::string_view(data).substr(split));
      EXPECT_EQ(resumed->digest(), digest_of(data, alg)) << algorithm_name(alg) << " " << split;
      // digest() does not end the hashing.
      EXPECT_EQ(first.digest(), digest_of(std::string_view(data).substr(0, split), alg));
    }
  }
}

TEST(ResumableHasher, RestoreRefusesWhatDoesNotFit) {
  ResumableHasher h(Algorithm::sha256);
  h.update(payload(70));
  const std::string saved = h.save();
  EXPECT_TRUE(ResumableHasher::restore(Algorithm::sha256, saved, 70));
  // Another byte count, another algorithm, a cut or non-hex text: all refused.
  EXPECT_EQ(ResumableHasher::restore(Algorithm::sha256, saved, 71).error().code,
            Errc::invalid_argument);
  EXPECT_EQ(ResumableHasher::restore(Algorithm::sha512, saved, 70).error().code,
            Errc::invalid_argument);
  EXPECT_EQ(ResumableHasher::restore(Algorithm::sha256, saved.substr(2), 70).error().code,
            Errc::invalid_argument);
  std::string upper = saved;
  upper[0] = 'G';
  EXPECT_EQ(ResumableHasher::restore(Algorithm::sha256, upper, 70).error().code,
            Errc::invalid_argument);
}

TEST(ResumableHasher, CopiesHashOnTheirOwn) {
  ResumableHasher a(Algorithm::sha256);
  a.update(std::string_view("abc"));
  ResumableHasher b = a;
  b.update(std::string_view("def"));
  EXPECT_EQ(a.digest(), digest_of("abc"));
  EXPECT_EQ(b.digest(), digest_of("abcdef"));
  a = b;
  EXPECT_EQ(a.digest(), digest_of("abcdef"));
}

}  // namespace
}  // namespace cairn::content
