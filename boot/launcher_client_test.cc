#include "boot/launcher_client.h"

#include <sys/socket.h>
#include <unistd.h>

#include <thread>

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

}  // namespace
}  // namespace runsc::boot
