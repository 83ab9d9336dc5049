// The fixed fd layout of a sandbox process. The spawner (sandbox/spawner.cc)
// installs exactly these fds in the child before it execs `runsc boot`, and
// closes every other one; `runsc boot` relies on the numbers.
//
//   0  /dev/null, read-only (nothing reads stdin)
//   1  the log fd (stdout is the log too)
//   2  the log fd: the sandbox's log; gRPC's own log also goes to stderr
//   3  the control socket: a listening unix socket, the Control service
//   4  the config fd: a sealed memfd holding a runsc.boot.v1.BootConfig
//   5  the sync fd: a SOCK_SEQPACKET socket; see runsc/util/sync_message.h
//
// The config fd and the sync fd are closed once the control server is ready,
// so a serving sandbox holds only 0-3 plus gRPC's own epoll/eventfd fds and
// its accepted control connections.
#ifndef RUNSC_UTIL_BOOT_FDS_H_
#define RUNSC_UTIL_BOOT_FDS_H_

namespace runsc::util {

inline constexpr int kStdinFd = 0;
inline constexpr int kStdoutFd = 1;
inline constexpr int kLogFd = 2;
inline constexpr int kControlFd = 3;
inline constexpr int kConfigFd = 4;
inline constexpr int kSyncFd = 5;
// The number of fds a sandbox process starts with (0 .. kBootFdCount-1).
inline constexpr int kBootFdCount = 6;

}  // namespace runsc::util

#endif  // RUNSC_UTIL_BOOT_FDS_H_
