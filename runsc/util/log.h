// Minimal line logging to stderr, or to the file of runc's global --log.
// Each line is "<RFC3339 time> <I|W|E> <component>: <message>", or with
// --log-format json one object a line: {"level":"error","msg":"...",
// "time":"..."} (containerd's shim reads the last error from it). Not for use
// between fork and exec: that code reports through the sync fd instead.
#ifndef RUNSC_UTIL_LOG_H_
#define RUNSC_UTIL_LOG_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace runsc::util {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

// Sets the minimum level that is written (default kInfo).
void SetLogLevel(LogLevel level);
void Log(LogLevel level, absl::string_view component, absl::string_view message);

// Sends every later line to `path` (appended, created 0600) instead of
// stderr, as text or JSON.
absl::Status SetLogFile(const std::string& path, bool json);
bool HasLogFile();

}  // namespace runsc::util

#endif  // RUNSC_UTIL_LOG_H_
