#include "sandbox/exit_report_watcher.h"

#include <signal.h>
#include <sys/socket.h>

#include <atomic>
#include <memory>
#include <optional>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "runsc/util/sync_message.h"
#include "runsc/util/unique_fd.h"

namespace runsc::sandbox {
namespace {

using util::UniqueFd;

struct Pair {
  UniqueFd sandbox, host;
};

Pair MakePair() {
  int fds[2];
  EXPECT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds), 0);
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

void SendExit(int fd, int pid, bool signaled, int code, int signal) {
  util::SyncMessage message =
      util::MakeSyncMessage(util::SyncType::kExited, util::SetupStage::kNone, 0, "");
  message.pid = pid;
  message.wait_status = util::EncodeWaitStatus(signaled, code, signal);
  ASSERT_TRUE(util::WriteSyncRecord(fd, message));
}

// Collects what each watch's callback saw, and how often it ran.
class Results {
 public:
  ExitReportWatcher::Done For(int index) {
    {
      absl::MutexLock lock(&mu_);
      if (calls_.size() <= static_cast<size_t>(index)) {
        calls_.resize(index + 1, 0);
        reports_.resize(index + 1);
      }
    }
    return [this, index](std::optional<ExitReportWatcher::Report> report) {
      absl::MutexLock lock(&mu_);
      ++calls_[index];
      reports_[index] = report;
    };
  }
  // Waits until watch `index` has ended; false after 10 s.
  bool AwaitDone(int index) {
    absl::MutexLock lock(&mu_);
    auto done = [this, index]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return calls_[index] > 0; };
    return mu_.AwaitWithTimeout(absl::Condition(&done), absl::Seconds(10));
  }
  int calls(int index) {
    absl::MutexLock lock(&mu_);
    return calls_[index];
  }
  std::optional<ExitReportWatcher::Report> report(int index) {
    absl::MutexLock lock(&mu_);
    return reports_[index];
  }

 private:
  absl::Mutex mu_;
  std::vector<int> calls_ ABSL_GUARDED_BY(mu_);
  std::vector<std::optional<ExitReportWatcher::Report>> reports_ ABSL_GUARDED_BY(mu_);
};

TEST(ExitReportWatcherTest, AnExitCodeAndASignalEachReachTheirOwnWatch) {
  auto watcher = ExitReportWatcher::Create();
  ASSERT_TRUE(watcher.ok()) << watcher.status();
  Results results;
  Pair exited = MakePair(), killed = MakePair();
  (*watcher)->Watch(std::move(exited.host), results.For(0));
  (*watcher)->Watch(std::move(killed.host), results.For(1));
  SendExit(killed.sandbox.get(), 9, /*signaled=*/true, 0, SIGKILL);
  SendExit(exited.sandbox.get(), 7, /*signaled=*/false, 3, 0);
  ASSERT_TRUE(results.AwaitDone(0));
  ASSERT_TRUE(results.AwaitDone(1));
  ASSERT_TRUE(results.report(0).has_value());
  EXPECT_EQ(results.report(0)->pid, 7);
  EXPECT_FALSE(results.report(0)->status.signaled());
  EXPECT_EQ(results.report(0)->status.code(), 3);
  ASSERT_TRUE(results.report(1).has_value());
  EXPECT_EQ(results.report(1)->pid, 9);
  EXPECT_TRUE(results.report(1)->status.signaled());
  EXPECT_EQ(results.report(1)->status.signal(), SIGKILL);
}

TEST(ExitReportWatcherTest, ASocketThatEndsWithoutAReportEndsTheWatchWithNone) {
  auto watcher = ExitReportWatcher::Create();
  ASSERT_TRUE(watcher.ok()) << watcher.status();
  Results results;
  Pair gone = MakePair(), other = MakePair();
  (*watcher)->Watch(std::move(gone.host), results.For(0));
  (*watcher)->Watch(std::move(other.host), results.For(1));
  gone.sandbox.reset();
  ASSERT_TRUE(results.AwaitDone(0));
  EXPECT_FALSE(results.report(0).has_value());
  // Something other than an exit report is not taken for one.
  ASSERT_TRUE(util::WriteSyncMessage(other.sandbox.get(), util::SyncType::kReady,
                                     util::SetupStage::kNone, 0, "serving"));
  ASSERT_TRUE(results.AwaitDone(1));
  EXPECT_FALSE(results.report(1).has_value());
}

TEST(ExitReportWatcherTest, ACancelledWatchEndsOnceWithNoReportAndClosesItsSocket) {
  auto watcher = ExitReportWatcher::Create();
  ASSERT_TRUE(watcher.ok()) << watcher.status();
  Results results;
  Pair p = MakePair();
  const uint64_t id = (*watcher)->Watch(std::move(p.host), results.For(0));
  (*watcher)->Cancel(id);
  ASSERT_TRUE(results.AwaitDone(0));
  EXPECT_FALSE(results.report(0).has_value());
  // The host's end is closed: the sandbox's write fails.
  util::SyncMessage message =
      util::MakeSyncMessage(util::SyncType::kExited, util::SetupStage::kNone, 0, "");
  EXPECT_FALSE(util::WriteSyncRecord(p.sandbox.get(), message));
  (*watcher)->Cancel(id);  // a second cancel is a no-op
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_EQ(results.calls(0), 1);
}

TEST(ExitReportWatcherTest, ReportsAfterACancelDoNotRunItsCallbackAgain) {
  auto watcher = ExitReportWatcher::Create();
  ASSERT_TRUE(watcher.ok()) << watcher.status();
  Results results;
  Pair p = MakePair();
  SendExit(p.sandbox.get(), 5, false, 0, 0);
  const uint64_t id = (*watcher)->Watch(std::move(p.host), results.For(0));
  ASSERT_TRUE(results.AwaitDone(0));
  (*watcher)->Cancel(id);  // ended already
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_EQ(results.calls(0), 1);
  ASSERT_TRUE(results.report(0).has_value());
  EXPECT_EQ(results.report(0)->pid, 5);
}

TEST(ExitReportWatcherTest, DestroyingTheWatcherEndsEveryOpenWatch) {
  Results results;
  std::vector<Pair> pairs;
  {
    auto watcher = ExitReportWatcher::Create();
    ASSERT_TRUE(watcher.ok()) << watcher.status();
    for (int i = 0; i < 50; ++i) {
      pairs.push_back(MakePair());
      (*watcher)->Watch(std::move(pairs.back().host), results.For(i));
    }
    (*watcher)->Cancel(1);  // one of them cancelled just before
  }
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(results.calls(i), 1) << i;
    EXPECT_FALSE(results.report(i).has_value()) << i;
  }
}

TEST(ExitReportWatcherTest, ManyWatchesEachGetTheirOwnReport) {
  auto watcher = ExitReportWatcher::Create();
  ASSERT_TRUE(watcher.ok()) << watcher.status();
  constexpr int kWatches = 200;
  Results results;
  std::vector<Pair> pairs;
  for (int i = 0; i < kWatches; ++i) {
    pairs.push_back(MakePair());
    (*watcher)->Watch(std::move(pairs.back().host), results.For(i));
  }
  for (int i = kWatches - 1; i >= 0; --i) {
    SendExit(pairs[i].sandbox.get(), 1000 + i, false, i % 256, 0);
  }
  for (int i = 0; i < kWatches; ++i) {
    ASSERT_TRUE(results.AwaitDone(i)) << i;
    ASSERT_TRUE(results.report(i).has_value()) << i;
    EXPECT_EQ(results.report(i)->pid, 1000 + i);
    EXPECT_EQ(results.report(i)->status.code(), i % 256);
    EXPECT_EQ(results.calls(i), 1);
  }
}

}  // namespace
}  // namespace runsc::sandbox
