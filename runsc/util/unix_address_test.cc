#include "runsc/util/unix_address.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runsc/util/test_dirs.h"
#include "runsc/util/unique_fd.h"

namespace runsc::util {
namespace {

using ::testing::HasSubstr;

// A socket at a path over sun_path's 107 bytes (a state root as deep as
// containerd's per-namespace ones) is bound and reached all the same.
TEST(UnixAddressTest, APathLongerThanSunPathIsReachedThroughItsDirectory) {
  TempDir tmp;
  std::string dir = tmp.path();
  while (dir.size() < 150) {
    dir += "/a-directory-with-a-long-name";
    ASSERT_EQ(mkdir(dir.c_str(), 0700), 0) << dir;
  }
  const std::string path = dir + "/control.sock";
  absl::StatusOr<UnixAddress> at = UnixAddress::Of(path, "test socket");
  ASSERT_TRUE(at.ok()) << at.status();
  UniqueFd server(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_EQ(bind(server.get(), at->get(), at->size()), 0);
  ASSERT_EQ(listen(server.get(), 1), 0);
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0) << "the socket is not where the path says";
  EXPECT_TRUE(S_ISSOCK(st.st_mode));

  absl::StatusOr<UnixAddress> to = UnixAddress::Of(path, "test socket");
  ASSERT_TRUE(to.ok()) << to.status();
  UniqueFd client(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_EQ(connect(client.get(), to->get(), to->size()), 0);
  UniqueFd accepted(accept4(server.get(), nullptr, nullptr, SOCK_CLOEXEC));
  ASSERT_TRUE(accepted);
  ASSERT_EQ(write(client.get(), "x", 1), 1);
  char c = 0;
  EXPECT_EQ(read(accepted.get(), &c, 1), 1);
  EXPECT_EQ(c, 'x');
}

TEST(UnixAddressTest, WhatCannotFitSaysWhy) {
  const std::string name(120, 'n');
  absl::StatusOr<UnixAddress> at = UnixAddress::Of("/tmp/" + name, "--console-socket");
  ASSERT_FALSE(at.ok());
  EXPECT_THAT(std::string(at.status().message()),
              HasSubstr("--console-socket: '/tmp/" + name + "' has a name too long"));
  at = UnixAddress::Of("/nonexistent/" + std::string(100, 'd') + "/s", "--socket");
  ASSERT_FALSE(at.ok());
  EXPECT_THAT(std::string(at.status().message()), HasSubstr("--socket: open the directory of"));
  // A short one is the path itself.
  at = UnixAddress::Of("/run/x.sock", "--socket");
  ASSERT_TRUE(at.ok());
  EXPECT_STREQ(reinterpret_cast<const struct sockaddr_un*>(at->get())->sun_path, "/run/x.sock");
}

}  // namespace
}  // namespace runsc::util
