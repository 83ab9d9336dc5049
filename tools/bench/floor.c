// floor: the kernel's own cost of the least a sandbox runtime must do to run
// one process: new namespaces, id maps, a fresh tmpfs root holding a
// bind-mounted static binary, pivot_root, drop to a mapped id, execve, wait.
// Other runtimes' start-up latencies are stated as multiples of this figure.
//
// Build: gcc -O2 -Wall -Wextra -o /tmp/floor tools/bench/floor.c
// Run as root: /tmp/floor [-n N] [--warmup W] [--net] [--exe PATH] [--json]

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

// The host ids the sandbox's root is mapped to.
#define MAP_LINE "0 65533 1"

// Reports the failed call, formatted by the caller, and errno.
static void die(const char *fmt, ...) {
  int err = errno;
  va_list ap;
  va_start(ap, fmt);
  fputs("floor: ", stderr);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, ": %s\n", strerror(err));
  exit(1);
}

// The child shares stdio buffers copied from the parent, so it must not run
// exit handlers.
static void child_die(const char *call) {
  fprintf(stderr, "floor: child: %s: %s\n", call, strerror(errno));
  _exit(1);
}

struct config {
  const char *exe;   // static binary run inside the sandbox
  const char *root;  // host directory the child mounts its tmpfs on
  unsigned long bind_locked;  // flags of exe's mount the remount must keep
  bool net;
};

static char root_dir[] = "/tmp/floor.XXXXXX";

static void remove_root_dir(void) { rmdir(root_dir); }

static double now_ms(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) die("clock_gettime");
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void write_file(const char *path, const char *data) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) die("open %s", path);
  ssize_t len = (ssize_t)strlen(data);
  if (write(fd, data, len) != len) die("write %s", path);
  if (close(fd) != 0) die("close %s", path);
}

static void child(const struct config *cfg, int go_fd) {
  char c;
  ssize_t r = read(go_fd, &c, 1);
  if (r < 0) child_die("read");
  if (r == 0) _exit(1);  // the parent failed and has reported why

  // Become the namespace's root, a mapped id, first: we start as host root,
  // which the namespace does not map, and the tmpfs refuses to create files
  // owned by unmapped ids (EOVERFLOW). Being the owner's root, we keep all
  // capabilities in the namespace.
  if (setresgid(0, 0, 0) != 0) child_die("setresgid");
  if (setresuid(0, 0, 0) != 0) child_die("setresuid");

  // Keep our mounts from propagating back to the host's namespace.
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
    child_die("mount / private");
  if (mount("tmpfs", cfg->root, "tmpfs", 0, "size=1m") != 0)
    child_die("mount tmpfs");

  char target[4096];
  snprintf(target, sizeof target, "%s/true", cfg->root);
  int fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC, 0755);
  if (fd < 0) child_die("open bind target");
  if (close(fd) != 0) child_die("close bind target");
  if (mount(cfg->exe, target, NULL, MS_BIND, NULL) != 0)
    child_die("mount bind exe");
  // MS_RDONLY is ignored on the initial bind; a remount applies it.
  if (mount(NULL, target, NULL,
            MS_BIND | MS_REMOUNT | MS_RDONLY | cfg->bind_locked, NULL) != 0)
    child_die("remount exe read-only");

  if (chdir(cfg->root) != 0) child_die("chdir");
  // Stack the new root over the old one, then detach the old one.
  if (syscall(SYS_pivot_root, ".", ".") != 0) child_die("pivot_root");
  if (umount2(".", MNT_DETACH) != 0) child_die("umount2 old root");
  if (chdir("/") != 0) child_die("chdir /");

  // busybox picks the applet from argv[0].
  char *argv[] = {"true", NULL};
  char *envp[] = {NULL};
  execve("/true", argv, envp);
  child_die("execve /true");
}

static pid_t spawn(uint64_t flags) {
  struct clone_args args = {.flags = flags, .exit_signal = SIGCHLD};
  long pid = syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0 && errno != ENOSYS) die("clone3");
  // Seccomp profiles such as Docker's answer clone3 with ENOSYS.
  if (pid < 0) {
    pid = syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
    if (pid < 0) die("clone");
  }
  return (pid_t)pid;
}

// One sandboxed run of the binary; returns its wall time in milliseconds.
static double run_once(const struct config *cfg) {
  uint64_t flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC |
                   CLONE_NEWUTS | CLONE_NEWCGROUP;
  if (cfg->net) flags |= CLONE_NEWNET;

  double start = now_ms();
  int go[2];
  if (pipe2(go, O_CLOEXEC) != 0) die("pipe2");
  pid_t pid = spawn(flags);
  if (pid == 0) {
    if (close(go[1]) != 0) child_die("close");  // EOF if the parent dies
    child(cfg, go[0]);
  }
  if (close(go[0]) != 0) die("close");

  char path[64];
  snprintf(path, sizeof path, "/proc/%d/uid_map", pid);
  write_file(path, MAP_LINE);
  // An unprivileged-style gid_map requires setgroups to be denied first.
  snprintf(path, sizeof path, "/proc/%d/setgroups", pid);
  write_file(path, "deny");
  snprintf(path, sizeof path, "/proc/%d/gid_map", pid);
  write_file(path, MAP_LINE);
  if (write(go[1], "g", 1) != 1) die("write go pipe");
  if (close(go[1]) != 0) die("close");

  int status;
  if (waitpid(pid, &status, 0) != pid) die("waitpid");
  double elapsed = now_ms() - start;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "floor: child did not exit 0 (wait status 0x%x)\n", status);
    exit(1);
  }
  return elapsed;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static long parse_count(const char *opt, const char *s, long min) {
  char *end;
  errno = 0;
  long v = strtol(s ? s : "", &end, 10);
  if (!s || errno || *end || end == s || v < min) {
    fprintf(stderr, "floor: %s wants an integer >= %ld\n", opt, min);
    exit(2);
  }
  return v;
}

static void usage(FILE *f) {
  fprintf(f, "usage: floor [-n N] [--warmup W] [--net] [--exe PATH] [--json]\n");
}

int main(int argc, char **argv) {
  struct config cfg = {.exe = "/bin/busybox"};
  long iterations = 200, warmup = 20;
  bool json = false;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "-n")) {
      iterations = parse_count(a, next, 1), i++;
    } else if (!strcmp(a, "--warmup")) {
      warmup = parse_count(a, next, 0), i++;
    } else if (!strcmp(a, "--net")) {
      cfg.net = true;
    } else if (!strcmp(a, "--exe") && next) {
      cfg.exe = next, i++;
    } else if (!strcmp(a, "--json")) {
      json = true;
    } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(stdout);
      return 0;
    } else {
      usage(stderr);
      return 2;
    }
  }

  // Inside a user namespace the exe's mount has its nosuid/nodev/noexec
  // locked, and a remount that would clear them fails with EPERM.
  struct statvfs sv;
  if (statvfs(cfg.exe, &sv) != 0) die("statvfs %s", cfg.exe);
  if (sv.f_flag & ST_NOSUID) cfg.bind_locked |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV) cfg.bind_locked |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC) cfg.bind_locked |= MS_NOEXEC;

  // Only the children's mount namespaces ever mount over this directory.
  if (!mkdtemp(root_dir)) die("mkdtemp %s", root_dir);
  atexit(remove_root_dir);  // children never run exit handlers
  cfg.root = root_dir;

  for (long i = 0; i < warmup; i++) run_once(&cfg);
  double *samples = malloc(iterations * sizeof *samples);
  double *sorted = malloc(iterations * sizeof *sorted);
  if (!samples || !sorted) die("malloc");
  for (long i = 0; i < iterations; i++) samples[i] = run_once(&cfg);

  memcpy(sorted, samples, iterations * sizeof *sorted);
  qsort(sorted, iterations, sizeof *sorted, cmp_double);
  long n = iterations;
  double median = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  double p90 = sorted[(9 * n + 9) / 10 - 1];  // nearest rank: ceil(0.9 n)
  double min = sorted[0], max = sorted[n - 1];

  if (json) {
    printf("{\"name\":\"floor\",\"net\":%s,\"iterations\":%ld,"
           "\"median_ms\":%.4f,\"min_ms\":%.4f,\"max_ms\":%.4f,"
           "\"p90_ms\":%.4f,\"samples_ms\":[",
           cfg.net ? "true" : "false", n, median, min, max, p90);
    for (long i = 0; i < n; i++) printf("%s%.4f", i ? "," : "", samples[i]);
    printf("]}\n");
  } else {
    printf("floor (%s): median %.3f ms, min %.3f ms, p90 %.3f ms, "
           "max %.3f ms over %ld\n",
           cfg.net ? "net" : "no net", median, min, p90, max, n);
  }
  return 0;
}
