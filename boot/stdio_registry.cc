#include "boot/stdio_registry.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "runsc/util/log.h"
#include "runsc/util/packet.h"
#include "runsc/util/stdio_socket.h"

namespace runsc::boot {

namespace {

absl::Time AddedAt(const std::pair<const std::string, absl::Time>& e) { return e.second; }
template <typename Entry>
absl::Time AddedAt(const std::pair<const std::string, Entry>& e) {
  return e.second.added;
}

// Drops what `map` has held past `ttl`.
template <typename Map>
void DropExpired(Map& map, absl::Time now, absl::Duration ttl) {
  for (auto it = map.begin(); it != map.end();) {
    it = now - AddedAt(*it) > ttl ? map.erase(it) : std::next(it);
  }
}

// Drops the oldest of `map` until one more fits under `limit`.
template <typename Map>
void MakeRoom(Map& map, size_t limit) {
  while (map.size() >= limit) {
    map.erase(std::min_element(map.begin(), map.end(), [](const auto& x, const auto& y) {
      return AddedAt(x) < AddedAt(y);
    }));
  }
}

}  // namespace

void StdioRegistry::PruneLocked(absl::Time now) {
  DropExpired(entries_, now, kTtl);
  DropExpired(abandoned_, now, kTtl);
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
  MakeRoom(entries_, kMaxHeld);
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
  const absl::Time now = absl::Now();
  PruneLocked(now);
  if (entries_.erase(token) != 0) return;
  MakeRoom(abandoned_, kMaxHeld);
  abandoned_[token] = now;
}

void StdioRegistry::ServeConnection(util::UniqueFd conn, const RequestFn& serve) {
  struct timeval timeout = {5, 0};
  setsockopt(conn.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  // A StringValue, from a caller that knows only hand-offs, reads as a
  // hand-off request.
  runsc::control::v1::StdioRequest chosen;
  std::vector<util::UniqueFd> fds;
  absl::Status status = util::RecvPacket(conn.get(), &chosen, &fds);
  const bool handoff = chosen.request_case() == runsc::control::v1::StdioRequest::REQUEST_NOT_SET;
  if (status.ok() && !handoff && serve) {
    serve(chosen, std::move(fds), std::move(conn));
    return;
  }
  if (status.ok() && !handoff) {
    util::Log(util::LogLevel::kWarning, "stdio",
              "refused a run, start, signal, exec, list or wait: no container here");
    (void)util::SendPacket(conn.get(), runsc::control::v1::StdioAnswer());
    return;
  }
  runsc::control::v1::StdioAnswer reply;
  // Stdio (3 fds, or 1 for a terminal's console socket) and any extra fds;
  // the start checks the count against the process.
  if (status.ok() && !fds.empty()) {
    reply.set_token(Add(std::move(fds), chosen.token()));
    if (reply.token().empty()) {
      // Not the token itself: the log is the sandbox's, and a token in use
      // is a secret.
      util::Log(util::LogLevel::kWarning, "stdio",
                absl::StrCat("refused a hand-off under a token of ", chosen.token().size(),
                             " bytes: not a token, one in use, or one given up on"));
    }
  } else {
    util::Log(util::LogLevel::kWarning, "stdio",
              status.ok() ? "refused a hand-off without fds" : std::string(status.message()));
  }
  (void)util::SendPacket(conn.get(), reply);
}

}  // namespace runsc::boot
