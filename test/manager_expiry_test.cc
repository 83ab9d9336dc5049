// Root tests of SandboxManager's TTLs and graceful deletes, and of its
// sandboxes the runtime CLI deleted on the same state root: none holds up
// another call, event or expiry, and none acts on a sandbox that took its
// id since.
#include <signal.h>

#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runsc/util/file_util.h"
#include "sandbox/host_template.h"
#include "sandbox/manager.h"
#include "sandbox/sandbox.h"
#include "test/manager_fixture.h"
#include "test/sandbox_test_util.h"

namespace runsc::testing {
namespace {

using ::testing::HasSubstr;

TEST_F(ManagerTest, TtlExpiryDeletesTheSandbox) {
  sandbox::CreateRequest create;
  create.id = "short";
  create.ttl = absl::Milliseconds(300);
  auto view = manager_->CreateSandbox(create);
  ASSERT_TRUE(view.ok());
  EXPECT_LT(view->expires, absl::Now() + absl::Seconds(1));
  // Calls stop finding it as soon as its delete begins; its state goes
  // last, and "deleted" follows.
  std::unique_ptr<sandbox::EventBus::Subscription> events = manager_->events().Subscribe("short");
  absl::StatusOr<sandbox::SandboxEvent> event = events->Next(absl::Seconds(10));
  // "created" is delivered by the worker, and may come after the subscription.
  if (event.ok() && event->type == "created") event = events->Next(absl::Seconds(10));
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->type, "deleted");
  EXPECT_EQ(manager_->GetSandbox("short").status().code(), absl::StatusCode::kNotFound);
  // Its state went aside at once, and is gone once the teardown is over.
  EXPECT_TRUE(sandbox::Sandbox::ListIds(state())->empty());
  manager_->AwaitReclaimed();
  EXPECT_TRUE(ListDir(state()).empty());
}

TEST_F(ManagerTest, AGracefulDeleteHoldsUpNoOtherCallOrEvent) {
  // A main process that ignores SIGTERM keeps its delete waiting for the
  // whole grace period.
  ASSERT_NE(StartSleeper("stubborn", /*stubborn=*/true), 0);
  const int other_pid = StartSleeper("other", /*stubborn=*/false);
  ASSERT_NE(other_pid, 0);
  std::unique_ptr<sandbox::EventBus::Subscription> events = manager_->events().Subscribe("other");

  constexpr absl::Duration kGrace = absl::Seconds(4);
  const absl::Time delete_began = absl::Now();
  absl::Status deleted;
  absl::Status second_delete;
  std::thread deleter([&] { deleted = manager_->DeleteSandbox("stubborn", kGrace); });
  absl::SleepFor(absl::Milliseconds(300));  // the delete is in its grace period
  std::thread second([&] { second_delete = manager_->DeleteSandbox("stubborn", kGrace); });

  // Calls about this sandbox, and List, answer at once.
  absl::Time t = absl::Now();
  auto view = manager_->GetSandbox("stubborn");
  EXPECT_TRUE(view.ok() && view->status == "running") << view.status();
  EXPECT_EQ(manager_->ListSandboxes({}).size(), 2u);
  EXPECT_LT(absl::Now() - t, absl::Seconds(1)) << "Get and List waited for the delete";

  // Another sandbox's exit is published while the delete still waits.
  EXPECT_TRUE(manager_->Signal("other", other_pid, SIGKILL, false).ok());
  absl::StatusOr<sandbox::SandboxEvent> exited = NextAfterStart(*events, absl::Seconds(2));
  EXPECT_TRUE(exited.ok() && exited->type == "exited")
      << (exited.ok() ? exited->type : exited.status().ToString());
  EXPECT_LT(absl::Now() - delete_began, kGrace) << "the exit event waited for the delete";

  // (The threads are joined before any assertion can end the test.)
  deleter.join();
  second.join();
  EXPECT_TRUE(deleted.ok()) << deleted;
  EXPECT_GE(absl::Now() - delete_began, kGrace) << "the grace period was cut short";
  // The second delete waited for the first, then found nothing to delete.
  EXPECT_EQ(second_delete.code(), absl::StatusCode::kNotFound) << second_delete;
  EXPECT_EQ(manager_->GetSandbox("stubborn").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ManagerTest, AnExpiringSandboxHoldsUpNoEvents) {
  // TTL expiry deletes with a 1 s grace period; this main process waits it
  // out. The expiry starts about 250 ms after the create (TTL 200 ms, checks
  // every 50 ms) and its grace period ends about 1.25 s after.
  const int other_pid = StartSleeper("other", /*stubborn=*/false);
  ASSERT_NE(other_pid, 0);
  std::unique_ptr<sandbox::EventBus::Subscription> events = manager_->events().Subscribe("other");
  const absl::Time created = absl::Now();
  ASSERT_NE(StartSleeper("stubborn", /*stubborn=*/true, absl::Milliseconds(200)), 0);
  absl::SleepFor(absl::Milliseconds(500) - (absl::Now() - created));

  ASSERT_TRUE(manager_->Signal("other", other_pid, SIGKILL, false).ok());
  absl::StatusOr<sandbox::SandboxEvent> exited = NextAfterStart(*events, absl::Milliseconds(600));
  EXPECT_TRUE(exited.ok() && exited->type == "exited")
      << (exited.ok() ? exited->type : exited.status().ToString());

  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (manager_->GetSandbox("stubborn").ok() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(manager_->GetSandbox("stubborn").status().code(), absl::StatusCode::kNotFound);
  EXPECT_GE(absl::Now() - created, absl::Seconds(1)) << "the expiry skipped the grace period";
}

TEST_F(ManagerTest, ExpiringSandboxesDoNotWaitForEachOther) {
  // Each main process waits out the 1 s grace period of its TTL delete; the
  // three TTLs end at one instant, after all three creates. One after
  // another, the last would be gone 3 s after it at the earliest; side by
  // side, 1 s after it and its teardown.
  const absl::Time expiry = absl::Now() + absl::Seconds(4);
  for (const char* id : {"a", "b", "c"}) {
    const absl::Duration ttl = expiry - absl::Now();
    ASSERT_GT(ttl, absl::Milliseconds(200)) << "the creates took over 3.8 s";
    ASSERT_NE(StartSleeper(id, /*stubborn=*/true, ttl), 0) << id;
  }
  // Gone from the API, and their state directories removed.
  auto gone = [&] {
    return manager_->ListSandboxes({}).empty() && ListDir(root_.path() + "/state").empty();
  };
  while (!gone() && absl::Now() < expiry + absl::Seconds(10)) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  const absl::Duration took = absl::Now() - expiry;
  EXPECT_TRUE(gone());
  EXPECT_GE(took, absl::Seconds(1)) << "the grace period was skipped";
  EXPECT_LT(took, absl::Milliseconds(2500)) << "the expired sandboxes waited for each other";
}

// A sandbox of the daemon's deleted by the CLI on the same root, and its id
// taken since by another sandbox: the daemon's entry must not reach the new
// one through the paths they share (a signal for all would end its
// processes, a run would run in it).
TEST_F(ManagerTest, AnIdTakenByAnotherSandboxAfterACliDeleteIsNotActedOn) {
  ASSERT_GT(StartSleeper("shared", /*stubborn=*/false), 0);
  auto [code, out] =
      RunShell(absl::StrCat(RunscPath(), " --root ", state(), " delete --force shared 2>&1"));
  ASSERT_EQ(code, 0) << out;
  // Another sandbox takes the id, made here as the CLI would make it.
  sandbox::HostTemplateOptions tmpl;
  tmpl.args = {"sleep", "1000"};
  tmpl.hostname = "shared";
  sandbox::SandboxOptions options;
  options.id = "shared";
  options.state_root = state();
  options.runsc_path = RunscPath();
  auto container = sandbox::HostTemplate(tmpl);
  ASSERT_TRUE(container.ok()) << container.status();
  options.container = *container;
  options.start_main = true;
  absl::StatusOr<std::unique_ptr<sandbox::Sandbox>> other = sandbox::Sandbox::Create(options);
  ASSERT_TRUE(other.ok()) << other.status();

  absl::Status signaled = manager_->Signal("shared", 0, SIGKILL, /*all=*/true);
  EXPECT_EQ(signaled.code(), absl::StatusCode::kNotFound) << signaled;
  EXPECT_THAT(std::string(signaled.message()), HasSubstr("deleted outside the daemon"));
  sandbox::RunRequest run;
  run.id = "shared";
  run.process = Process({"true"});
  EXPECT_EQ(manager_->Run(run).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ((*other)->ContainerStatus((*other)->Record()), "running")
      << "the daemon's call reached the sandbox that took the id";
  EXPECT_TRUE((*other)->Destroy().ok());
}

// A sandbox with a TTL, deleted by the CLI on the same root with nothing
// in its place: the expiry still takes the daemon's entry (its slot, its
// pidfd, its dead process to reap). It was skipped as not the daemon's,
// and stayed for the daemon's life.
TEST_F(ManagerTest, ASandboxTheCliDeletedStillExpires) {
  const int main_pid = StartSleeper("gone", /*stubborn=*/false, absl::Seconds(3));
  ASSERT_GT(main_pid, 0);
  absl::StatusOr<sandbox::SandboxView> view = manager_->GetSandbox("gone");
  ASSERT_TRUE(view.ok()) << view.status();
  auto [code, out] =
      RunShell(absl::StrCat(RunscPath(), " --root ", state(), " delete --force gone 2>&1"));
  ASSERT_EQ(code, 0) << out;
  // Still the daemon's after the CLI's delete: the TTL has not acted yet.
  ASSERT_TRUE(manager_->GetSandbox("gone").ok());
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (manager_->GetSandbox("gone").ok() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(manager_->GetSandbox("gone").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(ProcessGoneWithin(view->pid, 5000)) << "its sandbox process was not reaped";
}

}  // namespace
}  // namespace runsc::testing
