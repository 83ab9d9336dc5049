#include "runsc/util/event_flag.h"

#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace runsc::util {

UniqueFd NewEventFlag() { return UniqueFd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)); }

void RaiseEventFlag(int fd) {
  uint64_t one = 1;
  ssize_t ignored = write(fd, &one, sizeof(one));
  (void)ignored;
}

}  // namespace runsc::util
