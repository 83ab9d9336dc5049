#include "runsc/util/sync_message.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/poll_timeout.h"

namespace runsc::util {

const char* StageName(SetupStage stage) {
  switch (stage) {
    case SetupStage::kNone:
      return "none";
    case SetupStage::kSpawn:
      return "spawn";
    case SetupStage::kConfig:
      return "config";
    case SetupStage::kMountPropagation:
      return "mount-propagation";
    case SetupStage::kLoopback:
      return "loopback";
    case SetupStage::kHostname:
      return "hostname";
    case SetupStage::kRootTmpfs:
      return "root-tmpfs";
    case SetupStage::kProcMount:
      return "proc-mount";
    case SetupStage::kBindSelf:
      return "bind-runsc";
    case SetupStage::kRemountRoot:
      return "remount-root";
    case SetupStage::kPivotRoot:
      return "pivot-root";
    case SetupStage::kDropPrivileges:
      return "drop-privileges";
    case SetupStage::kReexec:
      return "re-exec";
    case SetupStage::kSeccomp:
      return "seccomp";
    case SetupStage::kServe:
      return "serve";
    case SetupStage::kLauncher:
      return "launcher";
    case SetupStage::kKeyring:
      return "keyring";
    case SetupStage::kStartMain:
      return "start";
    case SetupStage::kCgroup:
      return "cgroup";
    case SetupStage::kNetwork:
      return "network";
    case SetupStage::kWorkloadStdio:
      return "stdio";
    case SetupStage::kWorkloadUserns:
      return "user-namespace";
    case SetupStage::kWorkloadLimits:
      return "limits";
    case SetupStage::kWorkloadCwd:
      return "cwd";
    case SetupStage::kWorkloadUser:
      return "user";
    case SetupStage::kWorkloadCapabilities:
      return "capabilities";
    case SetupStage::kWorkloadSeccomp:
      return "seccomp";
    case SetupStage::kWorkloadExec:
      return "exec";
  }
  return "unknown";
}

SyncMessage MakeSyncMessage(SyncType type, SetupStage stage, int err, const char* text) {
  SyncMessage message;
  // No memset/strncpy: plain loops keep this async-signal-safe by inspection.
  char* raw = reinterpret_cast<char*>(&message);
  for (size_t i = 0; i < sizeof(message); ++i) raw[i] = 0;
  message.magic = kSyncMagic;
  message.type = type;
  message.stage = stage;
  message.err = err;
  if (text != nullptr) {
    for (size_t i = 0; i + 1 < sizeof(message.text) && text[i] != '\0'; ++i) {
      message.text[i] = text[i];
    }
  }
  return message;
}

int32_t EncodeWaitStatus(bool signaled, int code, int signal) {
  return signaled ? (signal & 0x7f) : (code & 0xff) << 8;
}

bool WriteSyncMessage(int fd, SyncType type, SetupStage stage, int err,
                      const char* text) {
  return WriteSyncRecord(fd, MakeSyncMessage(type, stage, err, text));
}

bool WriteSyncRecord(int fd, const SyncMessage& message) {
  ssize_t n;
  do {
    n = write(fd, &message, sizeof(message));
  } while (n < 0 && errno == EINTR);
  return n == static_cast<ssize_t>(sizeof(message));
}

absl::Status SendSyncError(int fd, SetupStage stage,
                           const absl::Status& status) {
  std::string text(status.message());
  if (!WriteSyncMessage(fd, SyncType::kError, stage, ErrnoOf(status),
                        text.c_str())) {
    return ErrnoError(errno, "write sync error");
  }
  return absl::OkStatus();
}

absl::StatusOr<SyncMessage> ReadSyncMessage(int fd, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    struct pollfd pfd = {fd, POLLIN, 0};
    const int ready = PollUntil(&pfd, 1, deadline);
    if (ready < 0) return ErrnoError(errno, "poll sync socket");
    if (ready == 0) {
      return absl::DeadlineExceededError(absl::StrCat(
          "no message from the sandbox within ", absl::FormatDuration(timeout)));
    }
    SyncMessage message;
    ssize_t n = read(fd, &message, sizeof(message));
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return ErrnoError(errno, "read sync socket");
    }
    if (n == 0) {
      return absl::UnavailableError("sync socket closed by the other side");
    }
    if (n != static_cast<ssize_t>(sizeof(message)) ||
        message.magic != kSyncMagic) {
      return absl::InternalError(
          absl::StrCat("malformed sync message of ", n, " bytes"));
    }
    message.text[sizeof(message.text) - 1] = '\0';
    return message;
  }
}

absl::Status SyncErrorToStatus(const SyncMessage& message) {
  std::string what = absl::StrCat("sandbox setup failed at stage '",
                                  StageName(message.stage), "'");
  if (message.err != 0) absl::StrAppend(&what, " (", ErrnoName(message.err), ")");
  absl::StrAppend(&what, ": ", message.text);
  if (message.err != 0) {
    return absl::Status(absl::ErrnoToStatus(message.err, "").code(), what);
  }
  return absl::InternalError(what);
}

absl::Status SyncTextToStatus(const SyncMessage& message) {
  if (message.err != 0) return StatusWithErrno(message.err, message.text);
  return absl::FailedPreconditionError(message.text);
}

}  // namespace runsc::util
