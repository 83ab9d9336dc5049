// Test helper: runs a call with this process out of fds, to see how it
// takes EMFILE (as an error, not as "nothing there").
#ifndef RUNSC_UTIL_OUT_OF_FDS_H_
#define RUNSC_UTIL_OUT_OF_FDS_H_

#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>

#include <utility>
#include <vector>

#include "runsc/util/unique_fd.h"

namespace runsc::util {

// `call()` while RLIMIT_NOFILE's soft limit is 64 and every fd under it is
// taken; the limit and the fds are back once it returns. Its result, and
// whether the process really ran out (the last open's errno is EMFILE).
template <typename Call>
auto WithoutFds(Call call) -> std::pair<decltype(call()), bool> {
  struct rlimit old;
  getrlimit(RLIMIT_NOFILE, &old);
  struct rlimit low = old;
  low.rlim_cur = 64;
  setrlimit(RLIMIT_NOFILE, &low);
  std::vector<UniqueFd> fill;
  for (;;) {
    UniqueFd fd(open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!fd) break;
    fill.push_back(std::move(fd));
  }
  const bool out = errno == EMFILE;
  auto result = call();
  fill.clear();
  setrlimit(RLIMIT_NOFILE, &old);
  return {std::move(result), out};
}

}  // namespace runsc::util

#endif  // RUNSC_UTIL_OUT_OF_FDS_H_
