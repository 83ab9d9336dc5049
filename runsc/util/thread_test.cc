#include "runsc/util/thread.h"

#include <atomic>
#include <memory>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runsc/util/without_threads.h"

namespace runsc::util {
namespace {

TEST(StartThreadTest, RunsTheFunction) {
  std::atomic<int> ran{0};
  absl::StatusOr<std::thread> thread = StartThread("a test", [&ran] { ran = 7; });
  ASSERT_TRUE(thread.ok()) << thread.status();
  thread->join();
  EXPECT_EQ(ran, 7);
}

// Where the kernel makes no thread, an error naming the job, and the
// function (with what it owns) is dropped, not run: std::thread's
// constructor would have thrown.
TEST(StartThreadTest, NoThreadIsResourceExhaustedNotATerminate) {
  EXPECT_EQ(WithoutThreads([] {
              auto owned = std::make_shared<int>(1);
              std::weak_ptr<int> watch = owned;
              absl::StatusOr<std::thread> thread =
                  StartThread("the output pump", [owned = std::move(owned)] {});
              if (thread.ok()) return 1;
              if (!absl::IsResourceExhausted(thread.status())) return 2;
              if (thread.status().message().find("the output pump") == std::string::npos) return 3;
              return watch.expired() ? 0 : 4;
            }),
            0);
}

}  // namespace
}  // namespace runsc::util
