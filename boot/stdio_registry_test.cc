#include "boot/stdio_registry.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "google/protobuf/wrappers.pb.h"
#include "gtest/gtest.h"
#include "runsc/util/packet.h"
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

// One connection served: a StringValue hand-off (an older caller's packet)
// is filed and answered with a token; a run or a start goes to the
// callback with its fds and the connection, or is refused with an empty
// answer where there is none.
TEST(StdioRegistryTest, ServesHandOffsAndGivesRunsToTheirCallback) {
  StdioRegistry registry;
  auto serve = [&registry](const google::protobuf::MessageLite& packet,
                           const StdioRegistry::RequestFn& run) {
    int pair[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
    util::UniqueFd caller(pair[0]);
    StdioFds fds = DevNull();
    EXPECT_TRUE(
        util::SendPacket(caller.get(), packet, {fds[0].get(), fds[1].get(), fds[2].get()}).ok());
    registry.ServeConnection(util::UniqueFd(pair[1]), run);
    return caller;
  };
  const std::string own = *util::NewStdioToken();
  google::protobuf::StringValue older;
  older.set_value(own);
  util::UniqueFd handed = serve(older, nullptr);
  google::protobuf::StringValue answer;
  ASSERT_TRUE(util::RecvPacket(handed.get(), &answer).ok());
  EXPECT_EQ(answer.value(), own);
  EXPECT_TRUE(registry.Take(own).ok());

  runsc::control::v1::StdioRequest run;
  run.mutable_run()->mutable_process()->add_args("true");
  std::string args;
  size_t given = 0;
  util::UniqueFd kept;
  util::UniqueFd caller = serve(
      run, [&](const runsc::control::v1::StdioRequest& request, StdioFds fds, util::UniqueFd conn) {
        args = request.run().process().args(0);
        given = fds.size();
        kept = std::move(conn);
      });
  EXPECT_EQ(args, "true");
  EXPECT_EQ(given, 3u);
  ASSERT_TRUE(kept) << "the run's connection went to the callback";
  kept.reset();
  runsc::control::v1::StdioAnswer none;
  EXPECT_TRUE(absl::IsUnavailable(util::RecvPacket(caller.get(), &none)))
      << "nothing was answered on a run's connection but by its callee";

  runsc::control::v1::StdioRequest start;
  start.mutable_start();
  bool started = false;
  util::UniqueFd starter =
      serve(start, [&](const runsc::control::v1::StdioRequest& request, StdioFds, util::UniqueFd) {
        started = request.has_start();
      });
  EXPECT_TRUE(started) << "a start goes to the callback too";

  util::UniqueFd refused = serve(run, nullptr);
  ASSERT_TRUE(util::RecvPacket(refused.get(), &none).ok());
  EXPECT_FALSE(none.has_run());
  EXPECT_TRUE(none.token().empty());
}

}  // namespace
}  // namespace runsc::boot
