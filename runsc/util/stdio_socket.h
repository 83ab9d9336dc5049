// The stdio socket protocol: how a host-side caller hands a process's stdin,
// stdout and stderr to a sandbox. Each sandbox listens on
// <state_dir>/stdio.sock (fd 6 inside), a SOCK_SEQPACKET socket. The caller
// connects and sends one packet: an empty google.protobuf.Empty with exactly
// three fds (stdin, stdout, stderr) as SCM_RIGHTS, or one: a console socket
// for a process with a terminal, over which the sandbox sends the pty master
// (one packet, a google.protobuf.StringValue "pty" with the fd). The sandbox answers with one packet, a
// google.protobuf.StringValue holding a fresh random token (empty: refused),
// and closes the connection. The
// caller then names the token in Control.Start or Control.Exec. Tokens are
// single-use and expire after a minute.
#ifndef RUNSC_UTIL_STDIO_SOCKET_H_
#define RUNSC_UTIL_STDIO_SOCKET_H_

#include <vector>
#include <string>

#include "absl/status/statusor.h"

namespace runsc::util {

// Host side: sends stdin, stdout, stderr (not owned; they stay open here) and
// returns the token.
absl::StatusOr<std::string> HandOffStdio(const std::string& socket_path,
                                         const std::vector<int>& fds);

}  // namespace runsc::util

#endif  // RUNSC_UTIL_STDIO_SOCKET_H_
