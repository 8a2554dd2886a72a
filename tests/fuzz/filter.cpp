// Fuzzes containerd-style filter expressions (storage/content/filter.h): Filter::parse of up to
// four expressions (the input's lines, ORed), then, when they parse, a match against a fixed
// blob description.
#include "storage/content/filter.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

using namespace cairn::content;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> exprs;
  while (exprs.size() < 4) {
    size_t nl = input.find('\n');
    exprs.emplace_back(input.substr(0, nl));
    if (nl == std::string_view::npos)
      break;
    input.remove_prefix(nl + 1);
  }
  auto filter = Filter::parse(exprs);
  if (!filter)
    return 0;
  static const Info info = [] {
    Info i;
    i.digest = digest_of("cairn");
    i.size = 5;
    i.labels = {{"a", "b"}, {"containerd.io/gc.ref.content.l.0", "sha256:0123"}, {"k.x", "42"}};
    return i;
  }();
  (void)filter->match(info);
  return 0;
}
