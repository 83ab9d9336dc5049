// Children that borrow the caller's memory (CLONE_VM) until they exec or
// exit. Nothing is copied to start one, and nothing is faulted in twice
// afterwards: on this kind of machine a fork of the daemon costs
// milliseconds, a CLONE_VM child tens of microseconds.
//
// The rules for such a child, which runs on the caller's memory while the
// caller's threads go on:
//   - it makes only raw system calls (RawSyscall): a libc wrapper would
//     write errno, which is the calling thread's (the launcher's workload
//     children use libc's, as nothing but their launcher's wait for them
//     runs on that thread meanwhile, and it reads no errno they could
//     have written; boot/launcher.cc);
//   - it runs with every signal blocked, or with every handler reset: no
//     handler of the caller may run on the caller's memory from it;
//   - everything it reads (its stack, its arguments) must outlive its exec
//     or its exit, which the caller must observe before freeing them.
#ifndef RUNSC_UTIL_VM_CLONE_H_
#define RUNSC_UTIL_VM_CLONE_H_

#include <linux/sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>

#include "absl/status/status.h"

namespace runsc::util {

// A system call that returns -errno on failure and never writes errno.
inline long RawSyscall(long number, long a0 = 0, long a1 = 0, long a2 = 0, long a3 = 0,
                       long a4 = 0, long a5 = 0) {
  long ret;
#if defined(__x86_64__)
  register long r10 asm("r10") = a3;
  register long r8 asm("r8") = a4;
  register long r9 asm("r9") = a5;
  asm volatile("syscall"
               : "=a"(ret)
               : "a"(number), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8), "r"(r9)
               : "rcx", "r11", "memory");
#elif defined(__aarch64__)
  register long x8 asm("x8") = number;
  register long x0 asm("x0") = a0;
  register long x1 asm("x1") = a1;
  register long x2 asm("x2") = a2;
  register long x3 asm("x3") = a3;
  register long x4 asm("x4") = a4;
  register long x5 asm("x5") = a5;
  asm volatile("svc 0"
               : "+r"(x0)
               : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
               : "memory");
  ret = x0;
#else
#error "RawSyscall: unsupported architecture"
#endif
  return ret;
}

// clone3 with a child that runs fn(arg) on the stack args->stack (of
// args->stack_size bytes) and exits with its return value. Returns the
// child's pid, or -errno. (glibc 2.36 has no public clone3 wrapper, and
// clone() cannot say CLONE_INTO_CGROUP.)
long CloneOnStack(struct clone_args* args, int (*fn)(void*), void* arg);

// Blocks every signal in the calling thread, glibc's own two included
// (sigfillset leaves SIGCANCEL and SIGSETXID out), until destroyed: across
// a clone, no handler of the caller's may run in the child.
class AllSignalsBlocked {
 public:
  AllSignalsBlocked() {
    const uint64_t all = ~uint64_t{0};
    RawSyscall(SYS_rt_sigprocmask, SIG_SETMASK, reinterpret_cast<long>(&all),
               reinterpret_cast<long>(&old_), sizeof(all));
  }
  ~AllSignalsBlocked() {
    RawSyscall(SYS_rt_sigprocmask, SIG_SETMASK, reinterpret_cast<long>(&old_), 0, sizeof(old_));
  }
  AllSignalsBlocked(const AllSignalsBlocked&) = delete;
  AllSignalsBlocked& operator=(const AllSignalsBlocked&) = delete;

 private:
  uint64_t old_ = 0;
};

// A child's stack: mapped with a guard page below, unmapped on destruction
// unless leaked (for a child that may still be running on it).
class ChildStack {
 public:
  explicit ChildStack(size_t size = 64 * 1024) : size_(size) {}
  ChildStack(const ChildStack&) = delete;
  ChildStack& operator=(const ChildStack&) = delete;
  ~ChildStack();

  absl::Status Map();
  // For clone_args: the lowest usable address and the usable size.
  void* low() const;
  size_t size() const { return size_; }
  void Leak() { leaked_ = true; }

 private:
  static constexpr size_t kGuard = 4096;
  size_t size_;
  void* base_ = nullptr;
  bool leaked_ = false;
};

}  // namespace runsc::util

#endif  // RUNSC_UTIL_VM_CLONE_H_
