// The fixed fd layout of a sandbox process. The spawner's child
// (sandbox/spawner.cc) installs exactly these fds before it execs `/runsc
// boot`, and closes every other one; `runsc boot` relies on the numbers.
// The launcher (`runsc boot --launcher`) gets 0-2, 4, its own end of the
// launcher socket as 7, and 8+.
//
//   0  /dev/null, read-only (nothing reads stdin)
//   1  the log fd (stdout is the log too)
//   2  the log fd: the sandbox's log; gRPC's own log also goes to stderr
//   3  the control socket: a listening unix socket, the Control service
//   4  the config fd: a sealed memfd holding a runsc.boot.v1.BootConfig
//   5  the sync fd: a SOCK_SEQPACKET socket; see runsc/util/sync_message.h
//   6  the stdio socket: a listening unix socket that receives processes'
//      stdio fds (runsc/util/stdio_socket.h)
//   7  the supervisor's end of the launcher socket, made by stage 1 (a
//      container only); see proto/launcher.proto
//   8+ detached mount trees of the container (rootfs, bind sources), named
//      by BootConfig.container, then the fds of a main process started at
//      once (BootConfig.main_fds: its stdio, `runsc run`'s own); installed
//      in the launcher only
//
// The config fd and the sync fd are closed once the control server is ready,
// so a serving sandbox holds only 0-3, 6, 7 plus gRPC's own epoll/eventfd fds
// and its accepted connections.
#ifndef RUNSC_UTIL_BOOT_FDS_H_
#define RUNSC_UTIL_BOOT_FDS_H_

#include <stdint.h>

namespace runsc::util {

inline constexpr int kStdinFd = 0;
inline constexpr int kStdoutFd = 1;
inline constexpr int kLogFd = 2;
inline constexpr int kControlFd = 3;
inline constexpr int kConfigFd = 4;
// The largest boot config a sandbox reads; the host refuses a larger one
// before it spawns anything.
inline constexpr int64_t kMaxBootConfigBytes = 1 << 20;
inline constexpr int kSyncFd = 5;
inline constexpr int kStdioFd = 6;
inline constexpr int kLauncherFd = 7;
inline constexpr int kFirstMountFd = 8;
// The number of fixed fds the spawner installs (0 .. kBootFdCount-1).
inline constexpr int kBootFdCount = 7;
// At most this many fds reach a sandbox process.
inline constexpr int kMaxBootFds = 64;

}  // namespace runsc::util

#endif  // RUNSC_UTIL_BOOT_FDS_H_
