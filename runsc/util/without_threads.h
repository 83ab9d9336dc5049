// Test helper: runs a call in a child process that cannot start a thread,
// to see how code takes the failure (an error, not std::terminate).
#ifndef RUNSC_UTIL_WITHOUT_THREADS_H_
#define RUNSC_UTIL_WITHOUT_THREADS_H_

#include <grp.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace runsc::util {

// The exit code of `call()` (an int, 0 to 125), run in a forked child as
// nobody under RLIMIT_NPROC 1, where every clone fails with EAGAIN; 126 if
// the child could not drop to nobody, 127 if it could still start a thread
// before the call, and 128+N if signal N ended it (SIGABRT: a terminate).
// Needs real root (the uid change); call it while this process has one
// thread, since the child goes on from a fork.
template <typename Call>
int WithoutThreads(Call call) {
  const pid_t pid = fork();
  if (pid == 0) {
    const struct rlimit one = {1, 1};
    if (setrlimit(RLIMIT_NPROC, &one) != 0 || setgroups(0, nullptr) != 0 ||
        setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) {
      _exit(126);
    }
    if (fork() >= 0) _exit(127);  // not out of processes after all
    _exit(call());
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) return -1;
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

}  // namespace runsc::util

#endif  // RUNSC_UTIL_WITHOUT_THREADS_H_
