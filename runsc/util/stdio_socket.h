// The stdio socket protocol: how a host-side caller hands a process's stdin,
// stdout and stderr to a sandbox. Each sandbox listens on
// <state_dir>/stdio.sock (fd 6 inside), a SOCK_SEQPACKET socket. The caller
// connects and sends one packet, a google.protobuf.StringValue, with exactly
// three fds (stdin, stdout, stderr) as SCM_RIGHTS, or one: a console socket
// for a process with a terminal, over which the sandbox sends the pty master
// (one packet, a google.protobuf.StringValue "pty" with the fd). The packet's
// value is empty, or a token of the caller's choosing (NewStdioToken: 32 hex
// digits, not in use). The sandbox answers with one packet, a StringValue
// holding the token it filed the fds under (a fresh random one if the caller
// chose none; empty: refused), and closes the connection. The caller then
// names the token in Control.Start, Exec or Run. Tokens are single-use and
// expire after a minute. A caller that chose its token may name it at once,
// before the answer (Control.RunRequest.stdio_in_flight). Builds before
// chosen tokens read the packet as a google.protobuf.Empty and answer with a
// token of their own.
//
// A run instead (control.proto's StdioRequest.run; the packets above are
// its StdioRequest and StdioAnswer with field 1 alone): the packet carries
// the process with its fds, the sandbox starts it at once and answers on
// the same connection once it has exited (StdioAnswer.run), and until then
// any packet from the caller, or the connection's end, kills it. A sandbox
// of a build before runs takes the packet for a hand-off and answers with a
// token, which the caller then names in Control.Run (sandbox/
// control_client.h, RunToExit). A start (StdioRequest.start) is the same
// with the container's main process, answered at once with its pid
// (StdioAnswer.start; StartOnStdioSocket); with `hold` the process waits
// before its exec (runc's create), and a start without fds lets it run.
#ifndef RUNSC_UTIL_STDIO_SOCKET_H_
#define RUNSC_UTIL_STDIO_SOCKET_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/message_lite.h"
#include "runsc/util/unique_fd.h"

namespace runsc::util {

// Host side: sends stdin, stdout, stderr (not owned; they stay open here) and
// returns the token.
absl::StatusOr<std::string> HandOffStdio(const std::string& socket_path,
                                         const std::vector<int>& fds);

// How long a sandbox waits for stdio sent under the caller's token and named
// before its answer came (Control.RunRequest.stdio_in_flight). The wait
// holds one of the supervisor's gRPC threads, so it is short: the fds are on
// the socket before the call leaves, and a caller whose stdio was filed
// later still calls again with the answered token.
inline constexpr absl::Duration kStdioInFlightWait = absl::Seconds(1);

// A fresh random token for SendStdio.
absl::StatusOr<std::string> NewStdioToken();
// Whether `token` has NewStdioToken's form.
bool IsStdioToken(const std::string& token);

// How long a host-side caller waits for a sandbox to take its connection
// (connect blocks while the listening socket's backlog is full: a sandbox
// that has stopped accepting) and its packet, and for the answer to a
// hand-off (the sandbox's loop serves one connection at a time, each for
// at most 5 s).
inline constexpr absl::Duration kStdioSocketWait = absl::Seconds(10);

// Bounds each read (`option` SO_RCVTIMEO) or each write and connect
// (SO_SNDTIMEO) on `sock` by `limit`, rounded up to a millisecond, so that
// a short limit is never "no limit"; DEADLINE_EXCEEDED, naming `what`, if
// no time is left.
absl::Status SetSocketTimeout(int sock, int option, absl::Duration limit, absl::string_view what);

// Host side, without waiting: sends `fds` to be filed under `token`, and
// returns the connection, on which the answer (ReadStdioAnswer) comes.
absl::StatusOr<UniqueFd> SendStdio(const std::string& socket_path, const std::vector<int>& fds,
                                   const std::string& token);
// Host side: connects and sends `request` (a StdioRequest, or the
// StringValue of older callers) with `fds`; returns the connection.
// DEADLINE_EXCEEDED if the sandbox takes neither within `wait`.
absl::StatusOr<UniqueFd> SendOnStdioSocket(const std::string& socket_path,
                                           const google::protobuf::MessageLite& request,
                                           const std::vector<int>& fds,
                                           absl::Duration wait = kStdioSocketWait);
// The token the sandbox filed the fds under, read within kStdioSocketWait.
absl::StatusOr<std::string> ReadStdioAnswer(int conn);

}  // namespace runsc::util

#endif  // RUNSC_UTIL_STDIO_SOCKET_H_
