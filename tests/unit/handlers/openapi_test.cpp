// The OpenAPI document and the route table must describe the same routes: a route the document
// lacks, or a documented route the router does not serve, fails this test.
#include "handlers/service.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>

namespace cairn::handlers {
namespace {

// "/v2/{name...}/blobs/{digest}" and "/v2/{name}/blobs/{digest}" both become "/v2/{}/blobs/{}".
std::string normalize(std::string path) {
  static const std::regex param(R"(\{[^}]*\})");
  return std::regex_replace(path, param, "{}");
}

// (METHOD, path) pairs under `paths:` of the document: a path at indent 2, a method at indent 4.
std::set<std::pair<std::string, std::string>> documented_routes(const std::string& file) {
  std::ifstream in(file);
  EXPECT_TRUE(in) << file;
  std::set<std::pair<std::string, std::string>> out;
  static const std::regex path_line(R"(^  (/[^:]*):\s*$)");
  static const std::regex method_line(R"(^    (get|put|post|patch|delete|head):\s*$)");
  std::string line, current;
  bool in_paths = false;
  while (std::getline(in, line)) {
    if (line == "paths:") {
      in_paths = true;
      continue;
    }
    if (in_paths && !line.empty() && line[0] != ' ')
      break;  // the next top-level key
    std::smatch m;
    if (std::regex_match(line, m, path_line)) {
      current = normalize(m[1]);
    } else if (std::regex_match(line, m, method_line) && !current.empty()) {
      std::string method = m[1];
      for (char& c : method)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      out.emplace(method, current);
    }
  }
  return out;
}

TEST(OpenApi, DocumentMatchesRouteTable) {
  cairn::testing::TempDir dir;
  ServiceOptions opts;
  opts.root = dir.path();
  opts.offload_threads = 1;
  auto service = Service::open(opts);
  ASSERT_TRUE(service) << service.error().detail;
  std::set<std::pair<std::string, std::string>> served;
  for (const auto& r : (*service)->router().routes())
    served.emplace(r.method, normalize(r.pattern));
  auto documented = documented_routes(CAIRN_SOURCE_DIR "/openapi/openapi.yaml");
  ASSERT_FALSE(documented.empty());
  for (const auto& r : served) {
    EXPECT_TRUE(documented.count(r)) << "served but not documented: " << r.first << " " << r.second;
  }
  for (const auto& r : documented) {
    EXPECT_TRUE(served.count(r)) << "documented but not served: " << r.first << " " << r.second;
  }
}

}  // namespace
}  // namespace cairn::handlers
