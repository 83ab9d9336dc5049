// Minimal line logging to an fd (stderr by default). Each line is
// "<RFC3339 time> <I|W|E> <component>: <message>". Not for use between fork
// and exec: that code reports through the sync fd instead.
#ifndef RUNSC_UTIL_LOG_H_
#define RUNSC_UTIL_LOG_H_

#include "absl/strings/string_view.h"

namespace runsc::util {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

// Sets the minimum level that is written (default kInfo).
void SetLogLevel(LogLevel level);
void Log(LogLevel level, absl::string_view component, absl::string_view message);

}  // namespace runsc::util

#endif  // RUNSC_UTIL_LOG_H_
