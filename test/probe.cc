// probe: a static binary that tests run inside a workload to inspect and
// attack the sandbox from within. Each subcommand prints one result line:
// "ok" (the call succeeded) or the errno name it failed with, so tests can
// assert exactly how an attack was refused.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

namespace {

int Result(long rc) {
  if (rc < 0) {
    const char* name = strerrorname_np(errno);
    printf("%s\n", name ? name : "E?");
    return 1;
  }
  printf("ok\n");
  return 0;
}

int Usage() {
  fprintf(stderr,
          "usage: probe ls DIR | kill PID SIG | ptrace PID | open PATH r|w |\n"
          "  write PATH TEXT | mknod PATH | mount DIR | syscall keyctl|bpf|perf|unshare |\n"
          "  findkey NAME | ids | fds | touch PATH | forkbomb | hog MIB | sleep SECONDS | notify "
          "TEXT\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage();
  std::string cmd = argv[1];
  if (cmd == "ls" && argc == 3) {
    DIR* d = opendir(argv[2]);
    if (d == nullptr) return Result(-1);
    while (struct dirent* e = readdir(d)) {
      if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) printf("%s\n", e->d_name);
    }
    return 0;
  }
  if (cmd == "kill" && argc == 4) return Result(kill(atoi(argv[2]), atoi(argv[3])));
  if (cmd == "notify" && argc == 3) {
    // sd_notify: one datagram to $NOTIFY_SOCKET.
    const char* path = getenv("NOTIFY_SOCKET");
    if (path == nullptr) return Result(-1);
    struct sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    strncpy(addr.sun_path, path, sizeof(addr.sun_path) - 1);
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    return Result(sendto(fd, argv[2], strlen(argv[2]), 0,
                         reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr)));
  }
  if (cmd == "ptrace" && argc == 3) {
    return Result(ptrace(PTRACE_ATTACH, atoi(argv[2]), nullptr, nullptr));
  }
  if (cmd == "open" && argc == 4) {
    return Result(open(argv[2], argv[3][0] == 'w' ? O_WRONLY : O_RDONLY));
  }
  if (cmd == "write" && argc == 4) {
    int fd = open(argv[2], O_WRONLY);
    if (fd < 0) return Result(-1);
    return Result(write(fd, argv[3], strlen(argv[3])));
  }
  if (cmd == "mknod" && argc == 3) return Result(mknod(argv[2], S_IFCHR | 0666, makedev(1, 3)));
  if (cmd == "mount" && argc == 3) return Result(mount("none", argv[2], "tmpfs", 0, nullptr));
  // Makes the mount at PATH writable again: a bind remount without
  // MS_RDONLY.
  if (cmd == "remount-rw" && argc == 3) {
    return Result(mount(nullptr, argv[2], nullptr, MS_REMOUNT | MS_BIND, nullptr));
  }
  if (cmd == "findkey" && argc == 3) {  // a user key reachable from the session keyring
    return Result(syscall(SYS_keyctl, 10 /*KEYCTL_SEARCH*/, -3 /*session*/, "user", argv[2], 0));
  }
  if (cmd == "syscall" && argc == 3) {
    std::string name = argv[2];
    if (name == "keyctl") return Result(syscall(SYS_keyctl, 0 /*GET_KEYRING_ID*/, -3, 0));
    if (name == "bpf") {
      union bpf_attr attr = {};
      return Result(syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr)));
    }
    if (name == "perf") {
      struct perf_event_attr attr = {};
      attr.size = sizeof(attr);
      attr.type = PERF_TYPE_SOFTWARE;
      attr.config = PERF_COUNT_SW_CPU_CLOCK;
      return Result(syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0));
    }
    if (name == "unshare") return Result(unshare(CLONE_NEWUSER));
    return Usage();
  }
  if (cmd == "ids") {
    printf("uid=%d euid=%d gid=%d egid=%d\n", getuid(), geteuid(), getgid(), getegid());
    FILE* f = fopen("/proc/self/status", "r");
    char line[256];
    while (f && fgets(line, sizeof(line), f)) {
      if (strncmp(line, "Cap", 3) == 0 || strncmp(line, "NoNewPrivs", 10) == 0 ||
          strncmp(line, "Seccomp:", 8) == 0 || strncmp(line, "Groups", 6) == 0) {
        fputs(line, stdout);
      }
    }
    return 0;
  }
  if (cmd == "fds") {
    DIR* d = opendir("/proc/self/fd");
    if (d == nullptr) return Result(-1);
    int self = dirfd(d);
    while (struct dirent* e = readdir(d)) {
      if (e->d_name[0] == '.' || atoi(e->d_name) == self) continue;
      printf("%s\n", e->d_name);
    }
    return 0;
  }
  if (cmd == "touch" && argc == 3) return Result(open(argv[2], O_CREAT | O_WRONLY, 0644));
  if (cmd == "forkbomb") {
    // Forks until refused; prints how the refusal came.
    int made = 0;
    for (;;) {
      pid_t pid = fork();
      if (pid == 0) {
        pause();
        _exit(0);
      }
      if (pid < 0) {
        printf("refused after %d: %s\n", made, strerrorname_np(errno));
        fflush(stdout);
        kill(0, SIGKILL);
        return 0;
      }
      if (++made > 100000) {
        printf("unbounded\n");
        fflush(stdout);
        kill(0, SIGKILL);
        return 1;
      }
    }
  }
  if (cmd == "hog" && argc == 3) {
    size_t mib = strtoul(argv[2], nullptr, 10);
    for (size_t i = 0; i < mib; ++i) {
      char* p = static_cast<char*>(malloc(1 << 20));
      if (p == nullptr) return Result(-1);
      memset(p, 1, 1 << 20);
    }
    printf("allocated %zu MiB\n", mib);
    return 0;
  }
  if (cmd == "sleep" && argc == 3) {
    sleep(static_cast<unsigned>(atoi(argv[2])));
    return 0;
  }
  return Usage();
}
