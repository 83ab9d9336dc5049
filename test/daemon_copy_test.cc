// Root end-to-end tests of copying files into and out of a sandbox.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/api.grpc.pb.h"
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
                     Collected* out) {
  grpc::ClientContext ctx;
  api::CopyOutRequest req;
  req.set_id(id);
  req.set_path(path);
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

}  // namespace
}  // namespace runsc::testing
