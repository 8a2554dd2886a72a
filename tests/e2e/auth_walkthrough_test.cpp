// The README's authentication walk-through, run as written (the block under "Authentication
// and access" that starts with `htpasswd -cbB`) against the real executable on a free port;
// and the start-up errors of bad auth files (exit status 2, the problem named).
#include "tests/support/files.h"
#include "tests/support/ports.h"
#include "tests/support/shell.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace cairn::testing {
namespace {

// The README's walk-through block.
std::string walkthrough() {
  const std::string readme = read_file(CAIRN_SOURCE_DIR "/README.md");
  size_t start = readme.find("```sh\nhtpasswd -cbB users");
  if (start == std::string::npos)
    return "";
  start += 6;
  size_t end = readme.find("\n```\n", start);
  return readme.substr(start, end - start + 1);
}

TEST(AuthWalkthrough, ReadmeCurlStepsAnswerAsDocumented) {
  std::string script = walkthrough();
  ASSERT_FALSE(script.empty()) << "the README lost its authentication walk-through";
  TempDir dir;
  const std::string port = std::to_string(pick_free_port());
  script = replace_all(script, "127.0.0.1:5000", "127.0.0.1:" + port);
  script = replace_all(
      script, "cairn serve",
      std::string(CAIRN_EXE) + " serve --listen 127.0.0.1:" + port + " --access-log off");
  // The server's start: wait until it answers instead of a fixed sleep; stop it at the end.
  script = replace_all(script, "\nsleep 1\n",
                       "\nCAIRN_PID=$!\ntrap 'kill $CAIRN_PID; wait $CAIRN_PID' EXIT\n"
                       "for i in $(seq 200); do curl -s -o /dev/null http://127.0.0.1:" +
                           port + "/healthz && break; sleep 0.1; done\n");
  std::ofstream(dir / "walkthrough.sh") << script;
  auto r = sh("cd " + dir.path().string() + " && bash walkthrough.sh 2>&1");
  // Anonymous: the challenge, naming this server's token endpoint and the scope.
  EXPECT_NE(r.output.find("Bearer realm=\"http://127.0.0.1:" + port +
                          "/_token\",service=\"cairn\",scope=\"repository:team/app:pull\""),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("\n201\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("\"code\":\"DENIED\""), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("\nhi\n"), std::string::npos) << r.output;  // the blob, by token
  // The token key was written with mode 0600.
  auto perms = std::filesystem::status(dir / "token.pem").permissions();
  EXPECT_EQ(perms, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

TEST(AuthWalkthrough, BadAuthFilesStopTheStartWithExitTwo) {
  TempDir dir;
  std::ofstream(dir / "md5") << "alice:$apr1$abc$def\n";
  std::ofstream(dir / "policy.json") << R"({"rules": [{"users": ["a"], "actions": ["pull"]}]})";
  const std::string exe = CAIRN_EXE;
  const std::string root = " serve --root " + (dir / "var").string();
  struct Case {
    std::string args;
    std::string says;
  };
  for (const Case& c :
       {Case{"--htpasswd " + (dir / "md5").string(), "line 1 (user alice): the hash is MD5"},
        Case{"--htpasswd " + (dir / "missing").string(), "cannot read"},
        Case{"--access-policy " + (dir / "policy.json").string(), "rules[0] needs"},
        Case{"--access-policy " + (dir / "policy.json").string() + " --token-realm https://x/t",
             "rules[0] needs"},
        Case{"--token-realm https://x/t", "needs both --token-realm and --token-public-key"}}) {
    auto r = sh(exe + root + " " + c.args);
    EXPECT_EQ(r.status, 2) << c.args << ": " << r.output;
    EXPECT_NE(r.output.find(c.says), std::string::npos) << c.args << ": " << r.output;
  }
}

}  // namespace
}  // namespace cairn::testing
