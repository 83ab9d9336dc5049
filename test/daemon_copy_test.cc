// Root end-to-end tests of copying files into and out of a sandbox.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/api.grpc.pb.h"
#include "runsc/util/file_util.h"
#include "runsc/util/unique_fd.h"
#include "sandbox/tar.h"
#include "test/daemon_fixture.h"
#include "test/sandbox_test_util.h"

namespace runsc::testing {
namespace {

using ::testing::HasSubstr;

// A tar of `entries` (file contents in `data`, by path).
std::string Tar(const std::vector<sandbox::TarEntry>& entries,
                const std::map<std::string, std::string>& data) {
  std::string out;
  sandbox::TarWriter writer([&out](absl::string_view piece) {
    out.append(piece.data(), piece.size());
    return absl::OkStatus();
  });
  for (const auto& e : entries) {
    EXPECT_TRUE(writer.WriteHeader(e).ok()) << e.path;
    auto it = data.find(e.path);
    if (it != data.end()) {
      EXPECT_TRUE(writer.WriteData(it->second).ok());
    }
  }
  EXPECT_TRUE(writer.Finish().ok());
  return out;
}

sandbox::TarEntry Entry(sandbox::TarEntry::Type type, const std::string& path, uint32_t mode,
                        uint64_t size = 0, const std::string& target = "") {
  sandbox::TarEntry e;
  e.type = type;
  e.path = path;
  e.mode = mode;
  e.size = size;
  e.link_target = target;
  e.uid = 1234;  // ignored: files belong to the container's root
  return e;
}

grpc::Status CopyIn(api::Sandboxes::Stub* stub, const std::string& id, const std::string& dest,
                    const std::string& tar, api::CopyInResponse* out) {
  grpc::ClientContext ctx;
  auto writer = stub->CopyIn(&ctx, out);
  api::CopyInRequest start;
  start.mutable_start()->set_id(id);
  start.mutable_start()->set_path(dest);
  writer->Write(start);
  // In uneven pieces, as a client's reads would come.
  for (size_t at = 0; at < tar.size(); at += 700) {
    api::CopyInRequest piece;
    piece.set_data(tar.substr(at, 700));
    if (!writer->Write(piece)) break;
  }
  writer->WritesDone();
  return writer->Finish();
}

struct Collected : sandbox::TarReader::Handler {
  std::vector<sandbox::TarEntry> entries;
  std::map<std::string, std::string> data;
  absl::Status OnEntry(const sandbox::TarEntry& e) override {
    entries.push_back(e);
    return absl::OkStatus();
  }
  absl::Status OnData(absl::string_view d) override {
    data[entries.back().path].append(d.data(), d.size());
    return absl::OkStatus();
  }
  absl::Status OnEntryEnd() override { return absl::OkStatus(); }
};

grpc::Status CopyOut(api::Sandboxes::Stub* stub, const std::string& id, const std::string& path,
                     Collected* out, uint64_t max_bytes = 0) {
  grpc::ClientContext ctx;
  api::CopyOutRequest req;
  req.set_id(id);
  req.set_path(path);
  req.set_max_bytes(max_bytes);
  auto reader = stub->CopyOut(&ctx, req);
  sandbox::TarReader tar(out);
  api::CopyOutResponse piece;
  while (reader->Read(&piece)) EXPECT_TRUE(tar.Feed(piece.data()).ok());
  grpc::Status status = reader->Finish();
  if (status.ok()) {
    EXPECT_TRUE(tar.Finish().ok());
  }
  return status;
}

TEST_F(DaemonTest, CopyInThenCopyOutRoundTripsATree) {
  CreateStarted("files");
  auto stub = Stub();
  using T = sandbox::TarEntry::Type;
  const std::string big(300000, 'z');
  std::string tar = Tar({Entry(T::kDirectory, "d", 0750), Entry(T::kFile, "d/hello.txt", 0640, 3),
                         Entry(T::kSymlink, "d/link", 0777, 0, "hello.txt"),
                         Entry(T::kFile, "d/sub/big", 0600, big.size())},
                        {{"d/hello.txt", "hi\n"}, {"d/sub/big", big}});
  api::CopyInResponse in;
  grpc::Status status = CopyIn(stub.get(), "files", "/tmp", tar, &in);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(in.entries(), 4u);
  EXPECT_EQ(in.bytes(), 3u + big.size());
  api::RunResponse run;
  ASSERT_TRUE(Run("files", {"sh", "-c", "cat /tmp/d/link; stat -c '%u %g %a %n' /tmp/d /tmp/d/hello.txt"},
                  &run)
                  .ok());
  EXPECT_EQ(run.stdout(), "hi\n0 0 750 /tmp/d\n0 0 640 /tmp/d/hello.txt\n") << run.stderr();

  Collected out;
  status = CopyOut(stub.get(), "files", "/tmp/d", &out);
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<std::string> paths;
  for (const auto& e : out.entries) paths.push_back(e.path);
  EXPECT_THAT(paths, ::testing::ElementsAre("d", "d/hello.txt", "d/link", "d/sub", "d/sub/big"));
  EXPECT_EQ(out.data["d/hello.txt"], "hi\n");
  EXPECT_EQ(out.data["d/sub/big"], big);
  EXPECT_EQ(out.entries[1].uid, 0u);  // the container's ids, not the host's
  EXPECT_EQ(out.entries[1].mode, 0640u);
  EXPECT_EQ(out.entries[2].type, T::kSymlink);
  EXPECT_EQ(out.entries[2].link_target, "hello.txt");
}

// A code runner's pattern: the program writes its results and exits, then
// the client copies them out. The stopped container's files stay until the
// sandbox is deleted, and new ones can still be copied in.
TEST_F(DaemonTest, CopyWorksOnAStoppedContainer) {
  const api::Sandbox started = CreateStarted("done");
  ASSERT_GT(started.main_pid(), 0);
  auto stub = Stub();
  api::RunResponse run;
  ASSERT_TRUE(Run("done", {"sh", "-c", "echo result > /tmp/out.txt"}, &run).ok());
  ASSERT_EQ(run.status().code(), 0) << run.stderr();
  {
    grpc::Status status = Signal("done", started.main_pid(), SIGKILL);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  {
    grpc::ClientContext ctx;
    api::WaitRequest wait;
    wait.set_id("done");
    api::WaitResponse waited;
    grpc::Status status = stub->Wait(&ctx, wait, &waited);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(waited.status().signal(), SIGKILL);
  }
  Collected out;
  grpc::Status status = CopyOut(stub.get(), "done", "/tmp/out.txt", &out);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(out.data["out.txt"], "result\n");

  using T = sandbox::TarEntry::Type;
  api::CopyInResponse in;
  status = CopyIn(stub.get(), "done", "/tmp", Tar({Entry(T::kFile, "late.txt", 0644, 5)},
                                                  {{"late.txt", "late\n"}}),
                  &in);
  ASSERT_TRUE(status.ok()) << status.error_message();
  Collected back;
  status = CopyOut(stub.get(), "done", "/tmp/late.txt", &back);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(back.data["late.txt"], "late\n");
}

// A client can bound what it takes: a workload's sparse file of a
// terabyte streamed zeros until the client gave up. Past max_bytes the copy
// ends RESOURCE_EXHAUSTED, naming the path; within it, it is whole.
TEST_F(DaemonTest, CopyOutStopsAtTheClientsBound) {
  CreateStarted("big");
  api::RunResponse run;
  ASSERT_TRUE(
      Run("big", {"sh", "-c", "truncate -s 1T /tmp/sparse && echo small > /tmp/small"}, &run).ok());
  ASSERT_EQ(run.status().code(), 0) << run.stderr();
  auto stub = Stub();
  Collected out;
  grpc::Status status = CopyOut(stub.get(), "big", "/tmp/sparse", &out, 1 << 20);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(), HasSubstr("'/tmp/sparse' copies to more than max_bytes"));
  Collected small;
  status = CopyOut(stub.get(), "big", "/tmp/small", &small, 1 << 20);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(small.data["small"], "small\n");
}

TEST_F(DaemonTest, CopyStaysInsideTheContainerWhateverItsSymlinksSay) {
  CreateStarted("jail");
  auto stub = Stub();
  // The workload points symlinks at host-looking paths; the host's copy of
  // that path must never be touched.
  const std::string name = absl::StrCat("runsc-escape-", getpid());
  const std::string host_dir = "/tmp/" + name;
  ASSERT_NE(access(host_dir.c_str(), F_OK), 0);
  api::RunResponse run;
  ASSERT_TRUE(Run("jail", {"sh", "-c",
                           absl::StrCat("mkdir /tmp/", name, " && ln -s /tmp/", name,
                                        " /tmp/link && ln -s / /tmp/up && ln -s /proc/1/root /tmp/magic")},
                  &run)
                  .ok());
  ASSERT_EQ(run.status().code(), 0) << run.stderr();
  using T = sandbox::TarEntry::Type;
  api::CopyInResponse in;
  // The destination resolves through the symlink, inside the container.
  grpc::Status status =
      CopyIn(stub.get(), "jail", "/tmp/link", Tar({Entry(T::kFile, "f", 0644, 2)}, {{"f", "x\n"}}), &in);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_NE(access(host_dir.c_str(), F_OK), 0) << "CopyIn wrote to the host";
  ASSERT_TRUE(Run("jail", {"cat", absl::StrCat("/tmp/", name, "/f")}, &run).ok());
  EXPECT_EQ(run.stdout(), "x\n");
  // "up/etc/x": a symlink in the middle of an entry's path is never followed.
  status = CopyIn(stub.get(), "jail", "/tmp", Tar({Entry(T::kFile, "up/etc/x", 0644, 1)}, {{"up/etc/x", "x"}}),
                  &in);
  EXPECT_FALSE(status.ok());
  // A magic link is no way out either.
  status = CopyIn(stub.get(), "jail", "/tmp/magic", Tar({Entry(T::kFile, "y", 0644, 1)}, {{"y", "y"}}), &in);
  EXPECT_FALSE(status.ok());
  // An entry replaces a symlink, it does not write through it.
  status = CopyIn(stub.get(), "jail", "/tmp", Tar({Entry(T::kFile, "link", 0644, 1)}, {{"link", "l"}}), &in);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(Run("jail", {"sh", "-c", "cat /tmp/link; test -L /tmp/link || echo ' plain'"}, &run).ok());
  EXPECT_EQ(run.stdout(), "l plain\n");
  // CopyOut copies a symlink as one, not what it points to.
  Collected out;
  ASSERT_TRUE(CopyOut(stub.get(), "jail", "/tmp/up", &out).ok());
  ASSERT_EQ(out.entries.size(), 1u);
  EXPECT_EQ(out.entries[0].type, T::kSymlink);
  EXPECT_EQ(out.entries[0].link_target, "/");
}

TEST_F(DaemonTest, CopyErrorsGetTheRightCodes) {
  CreateStarted("cp");
  auto stub = Stub();
  api::CopyInResponse in;
  EXPECT_EQ(CopyIn(stub.get(), "ghost", "/tmp", "", &in).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(CopyIn(stub.get(), "cp", "", "", &in).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(CopyIn(stub.get(), "cp", "/nowhere", "", &in).error_code(), grpc::StatusCode::NOT_FOUND);
  // A hostile archive: ".." gets INVALID_ARGUMENT naming the entry.
  std::string evil = Tar({Entry(sandbox::TarEntry::Type::kFile, "a", 0644, 1)}, {{"a", "a"}});
  evil.replace(0, 4, "../x");  // the name field; fix the checksum to match
  unsigned sum = 0;
  for (size_t i = 0; i < 512; ++i) sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(evil[i]);
  char field[8];
  snprintf(field, sizeof(field), "%06o", sum);
  evil.replace(148, 7, std::string(field, 6) + '\0');
  grpc::Status status = CopyIn(stub.get(), "cp", "/tmp", evil, &in);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr(".."));
  Collected out;
  EXPECT_EQ(CopyOut(stub.get(), "cp", "/tmp/none", &out).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(CopyOut(stub.get(), "cp", "", &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // A read-only root refuses writes, with the errno's code.
  status = CopyIn(stub.get(), "cp", "/", Tar({Entry(sandbox::TarEntry::Type::kFile, "z", 0644, 1)}, {{"z", "z"}}),
                  &in);
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.error_message(), HasSubstr("EROFS"));
}

// The daemon copies as the container's root, with nothing more of host
// root's: not its file capabilities (setfsuid drops them) and not its
// others, which some files check instead of their modes. A PCI device's
// config space past its first 64 bytes is CAP_SYS_ADMIN's to read (some
// devices lock up when read where nothing is defined), and the launcher's
// environment is no more the daemon's to copy out than the workload's.
TEST_F(DaemonTest, CopyOutHasOnlyTheContainerRootsRights) {
  CreateStarted("rights");
  api::RunResponse run;
  // A device whose config space holds something past 64 bytes, read here
  // with every capability.
  std::string device, config;
  for (const std::string& name : ListDir("/sys/bus/pci/devices")) {
    const std::string read = ReadFile(absl::StrCat("/sys/bus/pci/devices/", name, "/config"));
    if (read.size() > 64 && read.find_first_not_of('\0', 64) != std::string::npos) {
      device = name;
      config = read;
      break;
    }
  }
  if (device.empty())
    GTEST_SKIP() << "this machine has no PCI device with an extended config space";
  const std::string path = absl::StrCat("/sys/bus/pci/devices/", device, "/config");
  ASSERT_TRUE(Run("rights", {"sh", "-c", "test -r " + path}, &run).ok());
  ASSERT_EQ(run.status().code(), 0) << "the container has no " << path;
  Collected pci;
  grpc::Status copied = CopyOut(Stub().get(), "rights", path, &pci);
  ASSERT_TRUE(copied.ok()) << copied.error_message();
  ASSERT_EQ(pci.data["config"].size(), config.size());
  EXPECT_EQ(pci.data["config"].find_first_not_of('\0', 64), std::string::npos)
      << "CopyOut read the config space with CAP_SYS_ADMIN";

  ASSERT_TRUE(Run("rights", {"sh", "-c", "cat /proc/1/environ >/dev/null"}, &run).ok());
  ASSERT_NE(run.status().code(), 0) << "the workload can read the launcher's environment";
  Collected out;
  grpc::Status status = CopyOut(Stub().get(), "rights", "/proc/1/environ", &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_TRUE(out.data.empty());
  Collected fds;
  status = CopyOut(Stub().get(), "rights", "/proc/1/fd", &fds);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  // The copying thread, whichever of the daemon's it was, has its rights
  // back: every thread holds its permitted capabilities, fsuid and fsgid 0
  // (the fourth field of Uid and Gid).
  for (const std::string& tid : ListDir(absl::StrCat("/proc/", daemon_, "/task"))) {
    std::map<std::string, std::string> fields;
    std::istringstream status(ReadFile(absl::StrCat("/proc/", daemon_, "/task/", tid, "/status")));
    for (std::string line; std::getline(status, line);) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) {
        fields[line.substr(0, colon)] =
            std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
      }
    }
    EXPECT_EQ(fields["CapEff"], fields["CapPrm"]) << "thread " << tid;
    for (const char* ids : {"Uid", "Gid"}) {
      std::vector<std::string> each = absl::StrSplit(fields[ids], '\t');
      ASSERT_EQ(each.size(), 4u) << ids << ": " << fields[ids];
      EXPECT_EQ(each[3], "0") << "thread " << tid << "'s fs" << ids;
    }
  }
}

// What a workload makes of its files cannot hold a copy: a file it leases
// refuses CopyOut at once (the lease's break would hold the open for 45 s a
// file), a symlink loop is the workload's doing (FAILED_PRECONDITION, not
// UNKNOWN), and an archive nested deeper than CopyOut would copy is refused.
TEST_F(DaemonTest, CopyRefusesWhatAWorkloadMadeToHoldItUp) {
  const api::Sandbox box = CreateStarted("held");
  api::RunResponse run;
  ASSERT_TRUE(
      Run("held", {"sh", "-c", "echo x > /tmp/leased && ln -s /tmp/loop /tmp/loop"}, &run).ok());
  ASSERT_EQ(run.status().code(), 0) << run.stderr();
  // A write lease on the file, taken here through the launcher's root (a
  // workload with CAP_LEASE could take the same).
  pid_t launcher = 0;
  ASSERT_TRUE(absl::SimpleAtoi(absl::StripAsciiWhitespace(ReadFile(absl::StrCat(
                                   "/proc/", box.pid(), "/task/", box.pid(), "/children"))),
                               &launcher));
  signal(SIGIO, SIG_IGN);  // the lease's break notice
  util::UniqueFd leased(
      open(absl::StrCat("/proc/", launcher, "/root/tmp/leased").c_str(), O_WRONLY | O_CLOEXEC));
  ASSERT_TRUE(leased) << "open: " << errno;
  ASSERT_EQ(fcntl(leased.get(), F_SETLEASE, F_WRLCK), 0) << "F_SETLEASE: " << errno;
  Collected out;
  grpc::Status status = CopyOut(Stub().get(), "held", "/tmp/leased", &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("/tmp/leased"));
  leased.reset();

  api::CopyInResponse in;
  using T = sandbox::TarEntry::Type;
  status = CopyIn(Stub().get(), "held", "/tmp/loop",
                  Tar({Entry(T::kFile, "f", 0644, 1)}, {{"f", "f"}}), &in);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("/tmp/loop"));

  // A sparse file past what a tar holds is the container's doing too.
  ASSERT_TRUE(Run("held", {"truncate", "-s", "1100G", "/tmp/huge"}, &run).ok());
  ASSERT_EQ(run.status().code(), 0) << run.stderr();
  Collected huge;
  status = CopyOut(Stub().get(), "held", "/tmp/huge", &huge);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("/tmp/huge"));

  std::string deep;
  for (int i = 0; i < 300; ++i) deep += "d/";
  deep += "f";
  status = CopyIn(Stub().get(), "held", "/tmp",
                  Tar({Entry(T::kFile, deep, 0644, 1)}, {{deep, "f"}}), &in);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("nested 300 directories deep"));
}

}  // namespace
}  // namespace runsc::testing
