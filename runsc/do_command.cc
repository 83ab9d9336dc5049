#include "runsc/do_command.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel_posix.h"
#include "grpcpp/grpcpp.h"
#include "proto/api.grpc.pb.h"
#include "runsc/util/unique_fd.h"
#include "runsc/util/unix_address.h"

namespace runsc::cli {

namespace api = runsc::api::v1;

namespace {

// A channel to the daemon's socket. A path too long for a target (over
// sun_path's 107 bytes) gets one connection made here, through its
// directory (util::UnixAddress), tried for 2 s while the daemon is not yet
// listening (or has not yet bound the path); the error if none is made.
absl::StatusOr<std::shared_ptr<grpc::Channel>> DaemonChannel(const std::string& path) {
  if (path.size() < sizeof(sockaddr_un::sun_path)) {
    return grpc::CreateChannel("unix:" + path, grpc::InsecureChannelCredentials());
  }
  absl::StatusOr<util::UnixAddress> addr = util::UnixAddress::Of(path, "--socket");
  if (!addr.ok()) return addr.status();
  int err = 0;
  for (int tries = 0; tries < 100; ++tries) {
    util::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return absl::UnavailableError(absl::StrCat("socket: ", strerror(errno)));
    if (connect(fd.get(), addr->get(), addr->size()) == 0) {
      return grpc::CreateInsecureChannelFromFd(path, fd.release());
    }
    err = errno;
    if (err != ECONNREFUSED && err != ENOENT) break;
    usleep(20000);
  }
  return absl::UnavailableError(absl::StrCat("connect: ", strerror(err)));
}

void Usage(FILE* out) {
  fprintf(out,
          "Usage: runsc do [--socket PATH] [--timeout SECONDS] -- CMD [ARGS...]\n\n"
          "Runs CMD in a fresh sandbox made from the host template (a read-only view of\n"
          "the host's /usr), through the runsc daemon, then deletes the sandbox.\n");
}

int Fail(const std::string& what, const grpc::Status& status, const std::string& socket) {
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
      status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    fprintf(stderr,
            "runsc do: cannot reach the runsc daemon at '%s' (%s).\n"
            "Start it with `runsc daemon` (as root), or point --socket at a running one.\n",
            socket.c_str(), status.error_message().c_str());
  } else {
    fprintf(stderr, "runsc do: %s: %s\n", what.c_str(), status.error_message().c_str());
  }
  return 125;
}

std::string ReadStdin() {
  std::string data;
  if (isatty(0)) return data;
  char buf[65536];
  ssize_t n;
  while ((n = read(0, buf, sizeof(buf))) > 0) data.append(buf, static_cast<size_t>(n));
  return data;
}

}  // namespace

int DoCommand(int argc, char** argv) {
  std::string socket = "/run/runsc/runsc.sock";
  double timeout = 300;
  int i = 1;
  for (; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--") {
      ++i;
      break;
    } else if (arg == "--help" || arg == "-h") {
      Usage(stdout);
      return 0;
    } else if (arg == "--root" && i + 1 < argc) {
      ++i;  // the daemon owns the state root; accepted for symmetry
    } else if (arg == "--socket" && i + 1 < argc) {
      socket = argv[++i];
    } else if (arg == "--timeout" && i + 1 < argc) {
      if (!absl::SimpleAtod(argv[++i], &timeout) || timeout <= 0) {
        fprintf(stderr, "runsc do: --timeout: '%s' is not a positive number\n", argv[i]);
        return 125;
      }
    } else if (absl::StartsWith(arg, "-")) {
      fprintf(stderr, "runsc do: flag provided but not defined: %s\n", arg.c_str());
      Usage(stderr);
      return 125;
    } else {
      break;
    }
  }
  if (i >= argc) {
    Usage(stderr);
    return 125;
  }
  // A daemon started just before us may not have made its socket yet.
  struct stat st;
  for (int tries = 0; tries < 100 && stat(socket.c_str(), &st) != 0; ++tries) usleep(20000);
  if (stat(socket.c_str(), &st) != 0) {
    return Fail("connect", grpc::Status(grpc::StatusCode::UNAVAILABLE, "no such socket"), socket);
  }
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = DaemonChannel(socket);
  if (!channel.ok()) {
    return Fail(
        "connect",
        grpc::Status(grpc::StatusCode::UNAVAILABLE, std::string(channel.status().message())),
        socket);
  }
  auto stub = api::Sandboxes::NewStub(*channel);
  auto context = [](double seconds) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_wait_for_ready(true);  // the daemon may still be starting
    ctx->set_deadline(std::chrono::system_clock::now() +
                      std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000)));
    return ctx;
  };
  api::CreateSandboxRequest create;
  create.mutable_host_template();
  create.set_ttl_seconds(timeout + 60);  // never outlives a vanished client by much
  create.set_start(true);                // its main process sleeps; the command is a Run
  api::Sandbox sandbox;
  grpc::Status status = stub->CreateSandbox(context(10).get(), create, &sandbox);
  if (!status.ok()) return Fail("create sandbox", status, socket);
  int code = 125;
  api::RunRequest run;
  run.set_id(sandbox.id());
  for (; i < argc; ++i) run.mutable_process()->add_args(argv[i]);
  run.set_stdin(ReadStdin());
  run.set_timeout_seconds(timeout);
  api::RunResponse response;
  status = stub->Run(context(timeout + 10).get(), run, &response);
  if (status.ok()) {
    fwrite(response.stdout().data(), 1, response.stdout().size(), stdout);
    fflush(stdout);
    fwrite(response.stderr().data(), 1, response.stderr().size(), stderr);
    const auto& s = response.status();
    if (s.timed_out()) fprintf(stderr, "runsc do: timed out after %gs\n", timeout);
    if (s.oom_killed()) fprintf(stderr, "runsc do: killed by the OOM killer\n");
    code = s.signaled() ? 128 + s.signal() : s.code();
  } else {
    Fail("run", status, socket);
  }
  api::DeleteSandboxRequest del;
  del.set_id(sandbox.id());
  del.set_grace_seconds(0.1);
  api::DeleteSandboxResponse deleted;
  grpc::Status removed = stub->DeleteSandbox(context(15).get(), del, &deleted);
  if (!removed.ok()) Fail("delete sandbox " + sandbox.id(), removed, socket);
  return code;
}

}  // namespace runsc::cli
