#include "boot/stdio_registry.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/wrappers.pb.h"
#include "runsc/util/log.h"
#include "runsc/util/packet.h"
#include "runsc/util/stdio_socket.h"

namespace runsc::boot {

void StdioRegistry::PruneLocked(absl::Time now) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = now - it->second.added > kTtl ? entries_.erase(it) : std::next(it);
  }
  for (auto it = abandoned_.begin(); it != abandoned_.end();) {
    it = now - it->second > kTtl ? abandoned_.erase(it) : std::next(it);
  }
}

std::string StdioRegistry::Add(StdioFds fds, const std::string& chosen) {
  std::string token = chosen;
  if (token.empty()) {
    absl::StatusOr<std::string> fresh = util::NewStdioToken();
    if (!fresh.ok()) return "";
    token = *std::move(fresh);
  }
  if (!util::IsStdioToken(token)) return "";
  absl::MutexLock lock(&mu_);
  const absl::Time now = absl::Now();
  PruneLocked(now);
  // In use, or named by a call that has failed already: the fds go.
  if (entries_.count(token) != 0 || abandoned_.count(token) != 0) return "";
  while (entries_.size() >= kMaxHeld) {
    auto oldest = entries_.begin();
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->second.added < oldest->second.added) oldest = it;
    }
    entries_.erase(oldest);
  }
  entries_[token] = Entry{std::move(fds), now};
  return token;
}

absl::StatusOr<StdioFds> StdioRegistry::Take(const std::string& token, absl::Duration wait) {
  absl::MutexLock lock(&mu_);
  auto filed = [this, &token]()
                   ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return entries_.count(token) != 0; };
  if (wait > absl::ZeroDuration() && util::IsStdioToken(token)) {
    mu_.AwaitWithTimeout(absl::Condition(&filed), wait);
  }
  PruneLocked(absl::Now());
  auto it = entries_.find(token);
  if (it == entries_.end()) {
    return absl::NotFoundError(
        absl::StrCat("stdio_token: '", token, "' is unknown, used or expired"));
  }
  StdioFds fds = std::move(it->second.fds);
  entries_.erase(it);
  return fds;
}

void StdioRegistry::Discard(const std::string& token) {
  if (!util::IsStdioToken(token)) return;
  absl::MutexLock lock(&mu_);
  PruneLocked(absl::Now());
  if (entries_.erase(token) != 0) return;
  while (abandoned_.size() >= kMaxHeld) {
    auto oldest = abandoned_.begin();
    for (auto it = abandoned_.begin(); it != abandoned_.end(); ++it) {
      if (it->second < oldest->second) oldest = it;
    }
    abandoned_.erase(oldest);
  }
  abandoned_[token] = absl::Now();
}

void StdioRegistry::ServeConnection(util::UniqueFd conn) {
  struct timeval timeout = {5, 0};
  setsockopt(conn.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  google::protobuf::StringValue chosen;
  std::vector<util::UniqueFd> fds;
  absl::Status status = util::RecvPacket(conn.get(), &chosen, &fds);
  google::protobuf::StringValue reply;
  // Stdio (3 fds, or 1 for a terminal's console socket) and any extra fds;
  // the start checks the count against the process.
  if (status.ok() && !fds.empty()) {
    reply.set_value(Add(std::move(fds), chosen.value()));
    if (reply.value().empty()) {
      // Not the token itself: the log is the sandbox's, and a token in use
      // is a secret.
      util::Log(util::LogLevel::kWarning, "stdio",
                absl::StrCat("refused a hand-off under a token of ", chosen.value().size(),
                             " bytes: not a token, one in use, or one given up on"));
    }
  } else {
    util::Log(util::LogLevel::kWarning, "stdio",
              status.ok() ? "refused a hand-off without fds" : std::string(status.message()));
  }
  (void)util::SendPacket(conn.get(), reply);
}

}  // namespace runsc::boot
