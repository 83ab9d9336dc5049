#include "runsc/call_watch.h"

#include "gtest/gtest.h"

namespace runsc::cli {
namespace {

// The daemon's stop ends every wait under watch, and any that starts
// afterwards, so that no handler holds gRPC's shutdown.
TEST(CallWatchTest, StopCancelsTheWaitsWatchedAndThoseThatFollow) {
  CallWatch watch;
  grpc::ServerContext context;  // no call: never cancelled by a client
  sandbox::CallCanceller before;
  {
    CallWatch::Scope scope(&watch, &context, &before);
    absl::SleepFor(3 * CallWatch::kPoll);
    EXPECT_FALSE(before.cancelled()) << "a wait whose client is there was cancelled";
    EXPECT_FALSE(watch.stopping());
    watch.Stop();
    EXPECT_TRUE(before.cancelled());
    EXPECT_TRUE(watch.stopping());
  }
  sandbox::CallCanceller after;
  CallWatch::Scope scope(&watch, &context, &after);
  EXPECT_TRUE(after.cancelled());
}

TEST(CallWatchTest, AWatchThatEndsIsNoLongerLookedAt) {
  CallWatch watch;
  sandbox::CallCanceller cancel;
  {
    grpc::ServerContext context;
    CallWatch::Scope scope(&watch, &context, &cancel);
  }
  // The context is gone; the loop must not touch it (a crash or a
  // sanitizer's report here), and the stop does not reach the old wait.
  absl::SleepFor(3 * CallWatch::kPoll);
  watch.Stop();
  EXPECT_FALSE(cancel.cancelled());
}

}  // namespace
}  // namespace runsc::cli
