#include "boot/stdio_registry.h"

#include <fcntl.h>
#include <unistd.h>

#include <thread>

#include "gtest/gtest.h"
#include "runsc/util/stdio_socket.h"

namespace runsc::boot {
namespace {

StdioFds DevNull() {
  StdioFds fds;
  for (int i = 0; i < 3; ++i) fds.emplace_back(open("/dev/null", O_RDWR | O_CLOEXEC));
  return fds;
}

TEST(StdioRegistryTest, FilesUnderTheSandboxsTokenOrTheCallersOnce) {
  StdioRegistry registry;
  const std::string fresh = registry.Add(DevNull());
  EXPECT_TRUE(util::IsStdioToken(fresh));
  const std::string own = *util::NewStdioToken();
  EXPECT_EQ(registry.Add(DevNull(), own), own);
  EXPECT_EQ(registry.Add(DevNull(), own), "") << "a token in use is refused";
  EXPECT_EQ(registry.Add(DevNull(), "../../etc"), "") << "only tokens of the usual form";
  auto taken = registry.Take(own);
  ASSERT_TRUE(taken.ok()) << taken.status();
  EXPECT_EQ(taken->size(), 3u);
  auto again = registry.Take(own);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(std::string(again.status().message()).find("stdio_token"), std::string::npos);
  EXPECT_TRUE(registry.Take(fresh).ok());
}

TEST(StdioRegistryTest, ATakeWaitsForStdioStillOnItsWay) {
  StdioRegistry registry;
  const std::string own = *util::NewStdioToken();
  std::thread late([&] {
    absl::SleepFor(absl::Milliseconds(100));
    registry.Add(DevNull(), own);
  });
  const absl::Time start = absl::Now();
  auto taken = registry.Take(own, absl::Seconds(10));
  late.join();
  ASSERT_TRUE(taken.ok()) << taken.status();
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(90)) << "it waited for the late Add";
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  // What never comes is NOT_FOUND once the wait is over, and a name that
  // is no token is not waited for.
  auto never = registry.Take(*util::NewStdioToken(), absl::Milliseconds(50));
  EXPECT_EQ(never.status().code(), absl::StatusCode::kNotFound);
  const absl::Time before = absl::Now();
  EXPECT_EQ(registry.Take("nonsense", absl::Seconds(30)).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_LT(absl::Now() - before, absl::Seconds(1));
}

TEST(StdioRegistryTest, AFailedCallsStdioGoesNowOrWhenItComes) {
  StdioRegistry registry;
  // Filed, then the call that named it failed.
  const std::string filed = *util::NewStdioToken();
  StdioFds fds = DevNull();
  const int probe = fds[0].get();
  ASSERT_EQ(registry.Add(std::move(fds), filed), filed);
  registry.Discard(filed);
  EXPECT_EQ(registry.Take(filed).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(fcntl(probe, F_GETFD), -1) << "its fds are closed";
  // The call failed before its stdio came: it is refused when it does.
  const std::string late = *util::NewStdioToken();
  registry.Discard(late);
  EXPECT_EQ(registry.Add(DevNull(), late), "");
  EXPECT_EQ(registry.Take(late).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace runsc::boot
