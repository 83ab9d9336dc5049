#include "test/bundle_util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/status_macros.h"
#include "runsc/util/stdio_socket.h"
#include "runsc/util/unique_fd.h"
#include "specutils/oci_spec.h"

namespace runsc::testing {

using util::UniqueFd;

namespace {

absl::Status Run(const std::string& cmd) {
  int rc = system(cmd.c_str());
  if (rc != 0) return absl::InternalError(absl::StrCat("'", cmd, "' exited ", rc));
  return absl::OkStatus();
}

}  // namespace

std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

absl::Status MakeBusyboxRootfs(const std::string& dir,
                               const std::vector<std::string>& extra_binaries) {
  const std::string root = dir + "/rootfs";
  RETURN_IF_ERROR(Run(absl::StrCat("mkdir -p ", root, "/bin ", root, "/etc ", root,
                                   "/tmp ", root, "/root ", root, "/home/user && chmod 1777 ",
                                   root, "/tmp && cp /bin/busybox ", root, "/bin/busybox")));
  // Applet links, made by us so busybox itself stays a regular file.
  RETURN_IF_ERROR(Run(absl::StrCat(
      "for a in $(/bin/busybox --list); do [ \"$a\" = busybox ] || ln -sf busybox ", root,
      "/bin/$a; done")));
  std::ofstream(root + "/etc/passwd")
      << "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:User:/home/user:/bin/sh\n"
         "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
  std::ofstream(root + "/etc/group") << "root:x:0:\nuser:x:1000:\nnogroup:x:65534:\n";
  for (const std::string& binary : extra_binaries) {
    RETURN_IF_ERROR(Run(absl::StrCat("cp ", binary, " ", root, "/bin/")));
  }
  return absl::OkStatus();
}

absl::StatusOr<runsc::oci::v1::Spec> RuncSpec(const std::string& dir,
                                              const std::vector<std::string>& args) {
  std::ifstream in("specutils/testdata/runc_spec_config.json");
  std::stringstream text;
  text << in.rdbuf();
  ASSIGN_OR_RETURN(runsc::oci::v1::Spec spec, specutils::ParseSpecJson(text.str()));
  spec.mutable_root()->set_path(dir + "/rootfs");
  spec.mutable_process()->set_terminal(false);
  spec.mutable_process()->clear_args();
  for (const std::string& a : args) spec.mutable_process()->add_args(a);
  return spec;
}

absl::StatusOr<runsc::boot::v1::ContainerConfig> ToConfig(const runsc::oci::v1::Spec& spec,
                                                          const std::string& dir) {
  return specutils::ToContainerConfig(spec, dir);
}

absl::StatusOr<ProcessResult> RunInSandbox(sandbox::Sandbox& box,
                                           const runsc::boot::v1::ProcessConfig* process,
                                           const std::string& input) {
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) || pipe2(out_pipe, O_CLOEXEC) || pipe2(err_pipe, O_CLOEXEC)) {
    return util::ErrnoError(errno, "pipe2");
  }
  UniqueFd in_r(in_pipe[0]), in_w(in_pipe[1]), out_r(out_pipe[0]), out_w(out_pipe[1]),
      err_r(err_pipe[0]), err_w(err_pipe[1]);
  ASSIGN_OR_RETURN(std::string token,
                   util::HandOffStdio(box.stdio_socket_path(),
                                      {in_r.get(), out_w.get(), err_w.get()}));
  in_r.reset();
  out_w.reset();
  err_w.reset();
  sandbox::ControlClient client(box.control_socket_path());
  absl::StatusOr<int> pid =
      process == nullptr ? client.Start(token) : client.Exec(*process, token);
  if (!pid.ok()) return pid.status();
  std::thread writer([&in_w, &input] {
    if (!input.empty()) {
      ssize_t ignored = write(in_w.get(), input.data(), input.size());
      (void)ignored;
    }
    in_w.reset();
  });
  ProcessResult result;
  std::thread err_reader([&] { result.err = ReadAll(err_r.get()); });
  result.out = ReadAll(out_r.get());
  err_reader.join();
  writer.join();
  ASSIGN_OR_RETURN(result.status, client.Wait(*pid));
  return result;
}

absl::StatusOr<int> StartDetached(sandbox::Sandbox& box,
                                  const runsc::boot::v1::ProcessConfig* process) {
  UniqueFd null_r(open("/dev/null", O_RDONLY | O_CLOEXEC));
  UniqueFd null_w(open("/dev/null", O_WRONLY | O_CLOEXEC));
  ASSIGN_OR_RETURN(std::string token,
                   util::HandOffStdio(box.stdio_socket_path(),
                                      {null_r.get(), null_w.get(), null_w.get()}));
  sandbox::ControlClient client(box.control_socket_path());
  return process == nullptr ? client.Start(token) : client.Exec(*process, token);
}

}  // namespace runsc::testing
