#include "runsc/util/vm_clone.h"

#include <errno.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "runsc/util/errno_status.h"

namespace runsc::util {

long CloneOnStack(struct clone_args* args, int (*fn)(void*), void* arg) {
  long ret;
#if defined(__x86_64__)
  // The child starts after the syscall with the registers of the parent but
  // rax = 0 and rsp at the top of its stack; r12 and r13 carry fn and arg.
  register long r12 asm("r12") = reinterpret_cast<long>(fn);
  register long r13 asm("r13") = reinterpret_cast<long>(arg);
  asm volatile(
      "syscall\n\t"
      "test %%rax, %%rax\n\t"
      "jnz 1f\n\t"
      "xor %%ebp, %%ebp\n\t"
      "and $-16, %%rsp\n\t"
      "mov %%r13, %%rdi\n\t"
      "call *%%r12\n\t"
      "mov %%eax, %%edi\n\t"
      "mov %[exit_group], %%eax\n\t"
      "syscall\n\t"
      "hlt\n\t"
      "1:\n\t"
      : "=a"(ret)
      : "a"(static_cast<long>(SYS_clone3)), "D"(args), "S"(sizeof(*args)), "r"(r12), "r"(r13),
        [exit_group] "i"(SYS_exit_group)
      : "rcx", "r11", "memory");
#elif defined(__aarch64__)
  register long x8 asm("x8") = SYS_clone3;
  register long x0 asm("x0") = reinterpret_cast<long>(args);
  register long x1 asm("x1") = sizeof(*args);
  register long x19 asm("x19") = reinterpret_cast<long>(fn);
  register long x20 asm("x20") = reinterpret_cast<long>(arg);
  asm volatile(
      "svc 0\n\t"
      "cbnz x0, 1f\n\t"
      "mov x9, sp\n\t"
      "and x9, x9, #-16\n\t"
      "mov sp, x9\n\t"
      "mov x29, xzr\n\t"
      "mov x0, x20\n\t"
      "blr x19\n\t"
      "mov x8, %[exit_group]\n\t"
      "svc 0\n\t"
      "brk #0\n\t"
      "1:\n\t"
      : "+r"(x0)
      : "r"(x8), "r"(x1), "r"(x19), "r"(x20), [exit_group] "i"(SYS_exit_group)
      : "x9", "x30", "memory");
  ret = x0;
#else
#error "CloneOnStack: unsupported architecture"
#endif
  return ret;
}

ChildStack::~ChildStack() {
  if (base_ != nullptr && !leaked_) munmap(base_, kGuard + size_);
}

absl::Status ChildStack::Map() {
  void* base = mmap(nullptr, kGuard + size_, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (base == MAP_FAILED) return ErrnoError(errno, "map a child's stack");
  base_ = base;
  if (mprotect(base_, kGuard, PROT_NONE) != 0) return ErrnoError(errno, "guard a child's stack");
  return absl::OkStatus();
}

void* ChildStack::low() const { return static_cast<char*>(base_) + kGuard; }

}  // namespace runsc::util
