// The runsc version, reported by `runsc --version` and the Control service.
#ifndef RUNSC_UTIL_VERSION_H_
#define RUNSC_UTIL_VERSION_H_

namespace runsc::util {

inline constexpr char kVersion[] = "0.1.0";

}  // namespace runsc::util

#endif  // RUNSC_UTIL_VERSION_H_
