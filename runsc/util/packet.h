// One protobuf message per SOCK_SEQPACKET packet, optionally with fds
// attached as SCM_RIGHTS. Received fds are always O_CLOEXEC and owned.
#ifndef RUNSC_UTIL_PACKET_H_
#define RUNSC_UTIL_PACKET_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "google/protobuf/message_lite.h"
#include "runsc/util/unique_fd.h"

namespace runsc::util {

inline constexpr size_t kMaxPacketSize = 64 * 1024;
inline constexpr int kMaxPacketFds = 32;

absl::Status SendPacket(int sock, const google::protobuf::MessageLite& message,
                        const std::vector<int>& fds = {});
// The same, for a peer that may never read (a socket a caller handed us):
// DEADLINE_EXCEEDED if the socket takes no packet within `timeout`, rather
// than blocking for good. The socket's own flags are left as they are.
absl::Status SendPacketWithin(int sock, const google::protobuf::MessageLite& message,
                              const std::vector<int>& fds, absl::Duration timeout);

// Blocks for one packet. EOF gives UNAVAILABLE; a packet that does not parse
// or is truncated (more than kMaxPacketSize bytes or kMaxPacketFds fds)
// gives DATA_LOSS (its fds are closed): the socket itself still works.
absl::Status RecvPacket(int sock, google::protobuf::MessageLite* message,
                        std::vector<UniqueFd>* fds = nullptr);

}  // namespace runsc::util

#endif  // RUNSC_UTIL_PACKET_H_
