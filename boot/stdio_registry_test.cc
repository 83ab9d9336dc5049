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
  const std::string own = util::NewStdioToken();
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
  const std::string own = util::NewStdioToken();
  std::thread late([&] {
    absl::SleepFor(absl::Milliseconds(100));
    registry.Add(DevNull(), own);
  });
  const absl::Time start = absl::Now();
  auto taken = registry.Take(own, absl::Seconds(10));
  late.join();
  ASSERT_TRUE(taken.ok()) << taken.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  // What never comes is NOT_FOUND once the wait is over, and a name that
  // is no token is not waited for.
  auto never = registry.Take(util::NewStdioToken(), absl::Milliseconds(50));
  EXPECT_EQ(never.status().code(), absl::StatusCode::kNotFound);
  const absl::Time before = absl::Now();
  EXPECT_EQ(registry.Take("nonsense", absl::Seconds(30)).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_LT(absl::Now() - before, absl::Seconds(1));
}

}  // namespace
}  // namespace runsc::boot
