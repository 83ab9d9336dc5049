// Root tests of who may call a real `runsc daemon`, and what: root, the
// members of its --group (with no bundle of their own), and nobody else.
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/api.grpc.pb.h"
#include "test/daemon_fixture.h"
#include "test/sandbox_test_util.h"

namespace runsc::testing {
namespace {

TEST_F(DaemonTest, SocketIsRootAndGroupOnly) {
  struct stat st;
  ASSERT_EQ(stat(socket_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
}

// Makes `call` as uid 54321 with primary gid `gid` (and supplementary
// groups `groups`); returns its code.
int CallAs(const std::string& socket, gid_t gid,
           const std::function<grpc::Status(api::Sandboxes::Stub&, grpc::ClientContext&)>& call,
           const std::vector<gid_t>& groups = {}) {
  pid_t child = fork();
  if (child == 0) {
    if (setgroups(groups.size(), groups.data()) != 0 || setgid(gid) != 0 || setuid(54321) != 0) {
      _exit(100);
    }
    auto stub = api::Sandboxes::NewStub(
        grpc::CreateChannel("unix:" + socket, grpc::InsecureChannelCredentials()));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    _exit(static_cast<int>(call(*stub, ctx).error_code()));
  }
  int status = 0;
  waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 200;
}

// Calls ListSandboxes as uid 54321 with primary gid `gid` (and
// supplementary `groups`); returns the code.
int ListAs(const std::string& socket, gid_t gid, const std::vector<gid_t>& groups = {}) {
  return CallAs(
      socket, gid,
      [](api::Sandboxes::Stub& stub, grpc::ClientContext& ctx) {
        api::ListSandboxesResponse r;
        return stub.ListSandboxes(&ctx, {}, &r);
      },
      groups);
}

TEST_F(DaemonTest, OnlyRootAndTheGroupAreServed) {
  StopDaemon(SIGTERM);
  StartDaemon("daemon");  // Debian's gid 1
  // The test's own directory is 0700; let others reach the socket in it.
  ASSERT_EQ(chmod(root_.path().c_str(), 0711), 0);
  // A member of the group passes both the socket's mode and the check,
  // whether the group is its primary one or a supplementary one (as the
  // kernel took them at the connect: SO_PEERGROUPS).
  EXPECT_EQ(ListAs(socket_, 1), grpc::StatusCode::OK);
  EXPECT_EQ(ListAs(socket_, 54321, {54320, 1}), grpc::StatusCode::OK);
  // A non-member is refused by the socket's mode (0660 root:daemon) ...
  EXPECT_EQ(ListAs(socket_, 54321), grpc::StatusCode::UNAVAILABLE);
  // ... and, where the mode lets it connect, by its credentials.
  ASSERT_EQ(chmod(socket_.c_str(), 0666), 0);
  EXPECT_EQ(ListAs(socket_, 54321), grpc::StatusCode::PERMISSION_DENIED);
}

// A bundle is host paths that the daemon reads, mounts and binds as root,
// idmapped so that what host root owns is the container root's: a member of
// the group who named one could read, through the sandbox, what only root
// may (a rootfs of "/", a bind of /etc), and write as host root through a
// writable bind. Members get host templates; root's calls keep bundles.
TEST_F(DaemonTest, OnlyRootsCallsMayNameABundle) {
  StopDaemon(SIGTERM);
  StartDaemon("daemon");  // Debian's gid 1
  ASSERT_EQ(chmod(root_.path().c_str(), 0711), 0);
  auto create = [](const std::string& id, bool bundle) {
    return [id, bundle](api::Sandboxes::Stub& stub, grpc::ClientContext& ctx) {
      api::CreateSandboxRequest req;
      req.set_id(id);
      if (bundle) {
        req.set_bundle_path("/");
      } else {
        req.mutable_host_template();
      }
      api::Sandbox created;
      return stub.CreateSandbox(&ctx, req, &created);
    };
  };
  EXPECT_EQ(CallAs(socket_, 1, create("members-bundle", true)),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(CallAs(socket_, 1,
                   [](api::Sandboxes::Stub& stub, grpc::ClientContext& ctx) {
                     api::RunSandboxRequest req;
                     req.mutable_sandbox()->set_bundle_path("/");
                     api::RunResponse out;
                     return stub.RunSandbox(&ctx, req, &out);
                   }),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(CallAs(socket_, 1, create("members-template", false)), grpc::StatusCode::OK);
  auto stub = Stub();
  grpc::ClientContext ctx;
  api::GetSandboxRequest get;
  get.set_id("members-bundle");
  api::Sandbox none;
  EXPECT_EQ(stub->GetSandbox(&ctx, get, &none).error_code(), grpc::StatusCode::NOT_FOUND);
  // Root's own call is not refused for the bundle: it fails on what "/" is
  // (no config.json), by name.
  grpc::ClientContext root_ctx;
  api::CreateSandboxRequest req;
  req.set_id("roots-bundle");
  req.set_bundle_path("/");
  api::Sandbox created;
  grpc::Status roots = stub->CreateSandbox(&root_ctx, req, &created);
  EXPECT_NE(roots.error_code(), grpc::StatusCode::PERMISSION_DENIED) << roots.error_message();
  EXPECT_NE(roots.error_code(), grpc::StatusCode::OK);
}

}  // namespace
}  // namespace runsc::testing
