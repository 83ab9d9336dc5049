#include "boot/launcher_client.h"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "runsc/util/packet.h"

namespace runsc::boot {
namespace {

using runsc::launcher::v1::LauncherEvent;
using runsc::launcher::v1::LauncherRequest;
using util::UniqueFd;

// A packet from the launcher that does not parse is dropped: the call's
// answer after it is read, and the launcher is not taken for gone (which
// would end the sandbox as if its main process had been killed).
TEST(LauncherClientTest, ADamagedPacketIsDroppedAndTheAnswerAfterItRead) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
  UniqueFd launcher(sv[0]);
  LauncherClient client{UniqueFd(sv[1])};
  bool main_exit_reported = false;
  client.OnMainExit([&](const runsc::launcher::v1::Exited&) { main_exit_reported = true; });
  std::thread fake([&] {
    LauncherEvent ready;
    ready.mutable_ready();
    ASSERT_TRUE(util::SendPacket(launcher.get(), ready).ok());
    LauncherRequest request;
    ASSERT_TRUE(util::RecvPacket(launcher.get(), &request).ok());
    // A list whose argument is not UTF-8: a protobuf string must be.
    LauncherEvent bad;
    bad.set_request_id(request.id());
    bad.mutable_list()->add_processes()->add_args("caf\xe9");
    std::string wire;
    ASSERT_TRUE(bad.SerializeToString(&wire));
    ASSERT_EQ(send(launcher.get(), wire.data(), wire.size(), 0), static_cast<ssize_t>(wire.size()));
    LauncherEvent good;
    good.set_request_id(request.id());
    good.mutable_list()->add_processes()->set_pid(5);
    ASSERT_TRUE(util::SendPacket(launcher.get(), good).ok());
  });
  ASSERT_TRUE(client.AwaitReady(absl::Seconds(10)).ok());
  client.StartReader();
  LauncherRequest list;
  list.mutable_list();
  absl::StatusOr<LauncherEvent> answer = client.Call(list, {}, absl::Seconds(10));
  fake.join();
  ASSERT_TRUE(answer.ok()) << answer.status();
  ASSERT_EQ(answer->list().processes_size(), 1);
  EXPECT_EQ(answer->list().processes(0).pid(), 5);
  EXPECT_FALSE(main_exit_reported);
}

// One end of the launcher's socket for a test to play the launcher on,
// and a client on the other end that has read the launcher's ready and
// reads on its own thread from then on.
struct FakeLauncher {
  FakeLauncher() {
    int sv[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
    launcher.reset(sv[0]);
    client = std::make_unique<LauncherClient>(UniqueFd(sv[1]));
    LauncherEvent ready;
    ready.mutable_ready();
    EXPECT_TRUE(util::SendPacket(launcher.get(), ready).ok());
    EXPECT_TRUE(client->AwaitReady(absl::Seconds(10)).ok());
    client->StartReader();
  }

  // The next request, or an empty one if none comes within 10 s.
  LauncherRequest Receive() {
    LauncherRequest request;
    struct pollfd pfd = {launcher.get(), POLLIN, 0};
    if (poll(&pfd, 1, 10000) != 1) {
      ADD_FAILURE() << "no request came";
      return request;
    }
    EXPECT_TRUE(util::RecvPacket(launcher.get(), &request).ok());
    return request;
  }
  void Send(const LauncherEvent& event) {
    EXPECT_TRUE(util::SendPacket(launcher.get(), event).ok());
  }
  void Started(uint64_t request_id, int pid) {
    LauncherEvent event;
    event.set_request_id(request_id);
    event.mutable_started()->set_pid(pid);
    Send(event);
  }
  void Exited(int pid, int code) {
    LauncherEvent event;
    event.mutable_exited()->set_pid(pid);
    event.mutable_exited()->set_code(code);
    Send(event);
  }

  UniqueFd launcher;
  std::unique_ptr<LauncherClient> client;
};

LauncherRequest StartRequest() {
  LauncherRequest start;
  start.mutable_start()->mutable_process()->add_args("/bin/true");
  return start;
}

// The launcher is the container's pid 1: when it goes (killed, or out of
// memory in the container's cgroup), every process of the container goes
// with it and no exit is ever reported. Each waiter hears of a SIGKILL,
// at once and from then on, instead of waiting for good.
TEST(LauncherClientTest, EveryWaiterHearsOfAKillWhenTheLauncherGoes) {
  FakeLauncher fake;
  std::thread launcher([&] { fake.Started(fake.Receive().id(), 7); });
  absl::StatusOr<LauncherEvent> started = fake.client->Call(StartRequest(), {}, absl::Seconds(10));
  launcher.join();
  ASSERT_TRUE(started.ok()) << started.status();
  fake.client->NoteStarted(7, /*main=*/false);
  absl::Notification ended;
  runsc::launcher::v1::Exited seen;
  fake.client->OnExit(7, [&](const runsc::launcher::v1::Exited& e) {
    seen = e;
    ended.Notify();
  });
  EXPECT_TRUE(fake.client->IsRunning(7));
  fake.launcher.reset();  // the launcher is gone
  ASSERT_TRUE(ended.WaitForNotificationWithTimeout(absl::Seconds(10)))
      << "a waiter on a process of a launcher that went away was never answered";
  EXPECT_EQ(seen.pid(), 7);
  EXPECT_TRUE(seen.signaled());
  EXPECT_EQ(seen.signal(), SIGKILL);
  EXPECT_FALSE(fake.client->IsRunning(7));
  // A wait that starts afterwards is answered at once.
  bool answered = false;
  fake.client->OnExit(7, [&](const runsc::launcher::v1::Exited& e) {
    answered = e.signaled() && e.signal() == SIGKILL;
  });
  EXPECT_TRUE(answered);
}

// A pid comes round again in a long-lived container (or one whose workload
// forks until it does): the exit of the earlier process with that pid must
// not be taken for the new one's, which would end a Run at once with the
// wrong status and cancel its timeout while the process went on running.
TEST(LauncherClientTest, AnExitOfAnEarlierProcessIsNotTakenForANewOneWithItsPid) {
  FakeLauncher fake;
  std::thread first([&] {
    fake.Started(fake.Receive().id(), 9);
    fake.Exited(9, 3);
  });
  ASSERT_TRUE(fake.client->Call(StartRequest(), {}, absl::Seconds(10)).ok());
  first.join();
  fake.client->NoteStarted(9, /*main=*/false);
  absl::Notification first_ended;
  fake.client->OnExit(9, [&](const runsc::launcher::v1::Exited&) { first_ended.Notify(); });
  ASSERT_TRUE(first_ended.WaitForNotificationWithTimeout(absl::Seconds(10)));

  std::thread second([&] { fake.Started(fake.Receive().id(), 9); });
  ASSERT_TRUE(fake.client->Call(StartRequest(), {}, absl::Seconds(10)).ok());
  second.join();
  fake.client->NoteStarted(9, /*main=*/false);
  EXPECT_TRUE(fake.client->IsRunning(9));
  std::atomic<int> code{-1};
  absl::Notification second_ended;
  fake.client->OnExit(9, [&](const runsc::launcher::v1::Exited& e) {
    code = e.code();
    second_ended.Notify();
  });
  EXPECT_FALSE(second_ended.HasBeenNotified()) << "the earlier process's exit was taken";
  fake.Exited(9, 4);
  ASSERT_TRUE(second_ended.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_EQ(code.load(), 4);
}

// The launcher takes one request at a time: a call may give up (and tell
// its caller the start failed) while another process's exec holds it, and
// the launcher starts the process afterwards all the same. Such a process
// is killed, so that nothing runs that its caller was told did not.
TEST(LauncherClientTest, AProcessStartedAfterItsCallGaveUpIsKilled) {
  FakeLauncher fake;
  absl::Notification gave_up;
  LauncherRequest kill;
  std::thread launcher([&] {
    const LauncherRequest start = fake.Receive();
    ASSERT_TRUE(gave_up.WaitForNotificationWithTimeout(absl::Seconds(10)));
    fake.Started(start.id(), 11);
    kill = fake.Receive();
  });
  absl::StatusOr<LauncherEvent> started =
      fake.client->Call(StartRequest(), {}, absl::Milliseconds(50));
  EXPECT_EQ(started.status().code(), absl::StatusCode::kDeadlineExceeded) << started.status();
  gave_up.Notify();
  launcher.join();
  ASSERT_TRUE(kill.has_signal()) << kill.DebugString();
  EXPECT_EQ(kill.signal().pid(), 11);
  EXPECT_EQ(kill.signal().signal(), SIGKILL);
  EXPECT_FALSE(kill.signal().all());
}

// A wait given up on (its caller went) leaves nothing behind: a process
// that runs for long would otherwise keep a callback for every wait a
// polling client gave up on it.
TEST(LauncherClientTest, AForgottenExitWaitIsNeitherKeptNorRun) {
  FakeLauncher fake;
  std::thread launcher([&] { fake.Started(fake.Receive().id(), 13); });
  ASSERT_TRUE(fake.client->Call(StartRequest(), {}, absl::Seconds(10)).ok());
  launcher.join();
  fake.client->NoteStarted(13, /*main=*/false);
  std::atomic<int> forgotten_ran{0};
  const uint64_t forgotten =
      fake.client->OnExit(13, [&](const runsc::launcher::v1::Exited&) { forgotten_ran++; });
  EXPECT_NE(forgotten, 0u);
  absl::Notification kept_ran;
  fake.client->OnExit(13, [&](const runsc::launcher::v1::Exited&) { kept_ran.Notify(); });
  fake.client->ForgetExitWait(13, forgotten);
  fake.Exited(13, 0);
  ASSERT_TRUE(kept_ran.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_EQ(forgotten_ran.load(), 0);
  // Answered at once once it has exited: nothing to forget.
  EXPECT_EQ(fake.client->OnExit(13, [](const runsc::launcher::v1::Exited&) {}), 0u);
}

// A held main process (runc's create) is known from its creation: its
// release, answered after the call gave up, leaves it running as the
// container's main process rather than killing it.
TEST(LauncherClientTest, AHeldMainProcessReleasedLateIsNotKilled) {
  FakeLauncher fake;
  fake.client->NoteStarted(21, /*main=*/true);
  absl::Notification gave_up;
  bool more = false;
  std::thread launcher([&] {
    const LauncherRequest release = fake.Receive();
    ASSERT_TRUE(gave_up.WaitForNotificationWithTimeout(absl::Seconds(10)));
    fake.Started(release.id(), 21);
    struct pollfd pfd = {fake.launcher.get(), POLLIN, 0};
    more = poll(&pfd, 1, 500) == 1;
  });
  LauncherRequest release;
  release.mutable_release()->set_pid(21);
  EXPECT_EQ(fake.client->Call(release, {}, absl::Milliseconds(50)).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  gave_up.Notify();
  launcher.join();
  EXPECT_FALSE(more) << "the supervisor sent something (a kill) for its known main process";
  EXPECT_TRUE(fake.client->IsRunning(21));
}

}  // namespace
}  // namespace runsc::boot
