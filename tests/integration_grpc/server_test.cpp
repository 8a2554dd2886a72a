// The gRPC listener itself: which addresses --grpc-listen takes (a tcp one only on loopback: the
// listener has no authentication), the unix socket's mode, a tcp port picked when 0.
#include "grpc_api/server.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_server.h"

#include <sys/stat.h>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

namespace cairn::testing {
namespace {

TEST(GrpcListen, AddressesItTakes) {
  using grpc_api::listen_address_error;
  EXPECT_FALSE(listen_address_error("unix:///run/cairn/grpc.sock"));
  EXPECT_FALSE(listen_address_error("tcp://127.0.0.1:7000"));
  EXPECT_FALSE(listen_address_error("tcp://[::1]:0"));
  EXPECT_FALSE(listen_address_error("tcp://localhost:7000"));
  EXPECT_TRUE(listen_address_error("unix://relative.sock"));
  EXPECT_TRUE(listen_address_error("unix://"));
  EXPECT_TRUE(listen_address_error("/run/cairn.sock"));
  EXPECT_TRUE(listen_address_error("tcp://127.0.0.1"));
  EXPECT_TRUE(listen_address_error("tcp://127.0.0.1:65536"));
  EXPECT_TRUE(listen_address_error("tcp://127.0.0.1:x"));
  auto open = listen_address_error("tcp://0.0.0.0:7000");
  ASSERT_TRUE(open);
  EXPECT_NE(open->find("loopback"), std::string::npos) << *open;
  EXPECT_TRUE(listen_address_error("tcp://10.1.2.3:7000"));
  EXPECT_TRUE(listen_address_error("tcp://registry.example:7000"));
}

TEST(GrpcListen, UnixSocketIsGroupOnlyAndTcpPicksAPort) {
  TestServer srv;
  TempDir dir;
  grpc_api::GrpcOptions unix_options;
  unix_options.listen = "unix://" + (dir.path() / "g.sock").string();
  auto on_unix =
      grpc_api::GrpcServer::start(unix_options, srv.service().storage(), srv.service().offload());
  ASSERT_TRUE(on_unix) << on_unix.error().detail;
  struct stat st {};
  ASSERT_EQ(::stat((dir.path() / "g.sock").c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  EXPECT_EQ((*on_unix)->address(), unix_options.listen);

  grpc_api::GrpcOptions tcp_options;
  tcp_options.listen = "tcp://127.0.0.1:0";
  auto on_tcp =
      grpc_api::GrpcServer::start(tcp_options, srv.service().storage(), srv.service().offload());
  ASSERT_TRUE(on_tcp) << on_tcp.error().detail;
  const std::string& address = (*on_tcp)->address();
  ASSERT_TRUE(address.starts_with("tcp://127.0.0.1:")) << address;
  EXPECT_NE(address, "tcp://127.0.0.1:0");
  // Something listens there: a channel to it connects.
  auto channel = grpc::CreateChannel(address.substr(6), grpc::InsecureChannelCredentials());
  EXPECT_TRUE(
      channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10)));

  grpc_api::GrpcOptions bad;
  bad.listen = "tcp://8.8.8.8:1";
  auto refused = grpc_api::GrpcServer::start(bad, srv.service().storage(), srv.service().offload());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::invalid_argument);
  (*on_unix)->shutdown();
  (*on_tcp)->shutdown();
}

}  // namespace
}  // namespace cairn::testing
