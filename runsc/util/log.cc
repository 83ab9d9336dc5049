#include "runsc/util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/json_string.h"

namespace runsc::util {
namespace {
std::atomic<LogLevel> g_level{LogLevel::kInfo};
std::atomic<int> g_fd{STDERR_FILENO};
std::atomic<bool> g_json{false};

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

char LevelChar(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return 'D';
    case LogLevel::kInfo:
      return 'I';
    case LogLevel::kWarning:
      return 'W';
    case LogLevel::kError:
      return 'E';
  }
  return '?';
}
}  // namespace

void SetLogLevel(LogLevel level) { g_level.store(level); }

void Log(LogLevel level, absl::string_view component,
         absl::string_view message) {
  if (level < g_level.load()) return;
  const std::string time =
      absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::Now(), absl::UTCTimeZone());
  std::string line =
      g_json.load()
          ? absl::StrCat("{\"level\":\"", LevelName(level), "\",\"msg\":",
                         JsonQuote(absl::StrCat(component, ": ", message)), ",\"time\":\"", time,
                         "\"}\n")
          : absl::StrCat(time, " ", std::string(1, LevelChar(level)), " ", component, ": ",
                         message, "\n");
  // One write per line keeps lines whole when several threads log.
  ssize_t ignored = write(g_fd.load(), line.data(), line.size());
  (void)ignored;
}

absl::Status SetLogFile(const std::string& path, bool json) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoError(errno, absl::StrCat("--log: open '", path, "'"));
  g_json.store(json);
  g_fd.store(fd);  // kept open for the process's life
  return absl::OkStatus();
}

bool HasLogFile() { return g_fd.load() != STDERR_FILENO; }

}  // namespace runsc::util
