#include "boot/launcher.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "boot/capped_output.h"
#include "boot/container_fs.h"
#include "boot/nested_userns.h"
#include "boot/process_list.h"
#include "boot/safe_path.h"
#include "boot/seccomp_cache.h"
#include "boot/workload.h"
#include "boot/workload_child.h"
#include "google/protobuf/wrappers.pb.h"
#include "proto/launcher.pb.h"
#include "runsc/util/boot_fds.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/log.h"
#include "runsc/util/packet.h"
#include "runsc/util/status_macros.h"
#include "runsc/util/sync_message.h"

namespace runsc::boot {

using runsc::launcher::v1::LauncherEvent;
using runsc::launcher::v1::LauncherRequest;
using util::ErrnoError;
using util::UniqueFd;

namespace {

constexpr char kComponent[] = "launcher";
// How long a started process may take to exec or fail.
constexpr absl::Duration kExecTimeout = absl::Seconds(30);
// How often a start that has not exec'd yet is checked for a stop.
constexpr int64_t kStopCheckMs = 100;
// How long the caller's console socket may take to accept a pty's master.
constexpr absl::Duration kConsoleSendTimeout = absl::Seconds(10);
// What a capped output's wake-up copies at most, so that a chatty process
// cannot keep the poll loop from the supervisor's requests.
constexpr size_t kPumpBudget = 64 * 1024;
// What is drained of each capped output before an exit is reported (what
// the exited process wrote is in the pipe by then; the bound is for the
// processes it left behind, which may still be writing).
constexpr size_t kDrainBudget = 1 << 20;

LauncherEvent Failure(absl::string_view stage, const absl::Status& status) {
  LauncherEvent event;
  auto* failed = event.mutable_failed();
  failed->set_stage(std::string(stage));
  failed->set_err(util::ErrnoOf(status));
  failed->set_message(std::string(status.message()));
  return event;
}

struct Tracked {
  std::vector<std::string> args;
  bool main = false;
};

class Launcher {
 public:
  // `exit_with_main`: runtime mode, where the sandbox ends with the main
  // process (BootConfig.exit_with_main).
  // `proc`: a procfs of the container's PID namespace, mounted before the
  // pivot (PrepareProc), so never one of the container's files.
  // `devpts`, `dev`: the container's /dev/pts and /dev
  // (OpenPtyAndSendMaster), or none.
  Launcher(int sock, UniqueFd userns, bool exit_with_main, UniqueFd proc, UniqueFd devpts,
           UniqueFd dev)
      : sock_(sock),
        userns_(std::move(userns)),
        exit_with_main_(exit_with_main),
        proc_(std::move(proc)),
        devpts_(std::move(devpts)),
        dev_(std::move(dev)),
        own_oom_score_adj_(ReadOwnOomScoreAdj(proc_.get())),
        reset_signals_(SignalsNotDefault()) {}

  // Compiles the main process's seccomp profile while nothing has been
  // asked of us yet, so that Start finds it compiled. A profile that does not
  // compile is not cached: Start compiles it again and reports the error.
  void Precompile(const runsc::boot::v1::ProcessConfig& main_process) {
    (void)seccomp_.Compiled(main_process.seccomp());
  }

  // Starts a process (a StartProcess request's work, also for the main
  // process started with "ready"): Started, or Failed with the stage.
  LauncherEvent Start(const runsc::launcher::v1::StartProcess& start, std::vector<UniqueFd> fds);

  [[noreturn]] void Run();

 private:
  void Send(const LauncherEvent& event) {
    if (event.ByteSizeLong() > util::kMaxPacketSize) {
      // Ours to refuse, not the supervisor's loss: the request fails.
      LauncherEvent refused =
          Failure("reply", absl::ResourceExhaustedError(absl::StrCat(
                               "the reply of ", event.ByteSizeLong(), " bytes exceeds a packet")));
      refused.set_request_id(event.request_id());
      Send(refused);
      return;
    }
    absl::Status status = util::SendPacket(sock_, event);
    if (!status.ok()) {
      util::Log(util::LogLevel::kError, kComponent,
                absl::StrCat("supervisor gone: ", status.message()));
      Exit();
    }
  }
  static std::string ReadOwnOomScoreAdj(int proc) {
    char buf[16] = {};
    UniqueFd fd(openat(proc, "self/oom_score_adj", O_RDONLY | O_CLOEXEC));
    const ssize_t n = fd ? read(fd.get(), buf, sizeof(buf) - 1) : -1;
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  }
  // A child that wrote its oom_score_adj wrote ours too (and a held
  // process's), since it ran on our memory: ours back, once it has exec'd.
  void RestoreOomScoreAdj(const WorkloadPlan& plan) {
    if (plan.oom_score_adj.empty() || own_oom_score_adj_.empty()) return;
    UniqueFd fd(openat(proc_.get(), "self/oom_score_adj", O_WRONLY | O_CLOEXEC));
    if (!fd || write(fd.get(), own_oom_score_adj_.data(), own_oom_score_adj_.size()) < 0) {
      util::Log(util::LogLevel::kError, kComponent,
                ErrnoError(errno, "restore the launcher's oom_score_adj").ToString());
    }
  }
  void HandleRequest(const LauncherRequest& request, std::vector<UniqueFd> fds);
  LauncherEvent Release(pid_t pid);
  LauncherEvent AwaitExec(pid_t pid, int errors, absl::Duration timeout);
  void Reap();
  [[noreturn]] void Exit();

  const int sock_;
  UniqueFd userns_;
  const bool exit_with_main_;
  const UniqueFd proc_;
  const UniqueFd devpts_;
  const UniqueFd dev_;
  const std::string own_oom_score_adj_;
  // Taken once: the launcher sets no disposition after its set-up.
  const std::vector<int> reset_signals_;
  std::map<pid_t, Tracked> running_;
  // Created, not started: the go pipe and the error pipe of each, and what
  // the child, which runs on our memory (SpawnChild), reads once released:
  // its plan and arguments, kept where they are until it has exec'd.
  struct Held {
    UniqueFd go;
    UniqueFd errors;
    std::unique_ptr<WorkloadPlan> plan;
    std::unique_ptr<ChildArgs> args;
    std::vector<int> extra;
  };
  std::map<pid_t, Held> held_;
  // Outputs copied into the console log (StartProcess.output_limit), until
  // every writer of each is gone.
  CappedOutputs outputs_;
  // Set once and never reset: so only one process is ever held, which the
  // held child's stack (ChildStackTop) relies on.
  bool main_started_ = false;
  SeccompCache seccomp_;
};

// A workload child's error record.
LauncherEvent FailedAt(const util::SyncMessage& record) {
  LauncherEvent event;
  auto* failed = event.mutable_failed();
  failed->set_stage(util::StageName(record.stage));
  failed->set_err(record.err);
  failed->set_message(WorkloadFailureMessage(record));
  return event;
}

LauncherEvent Started(pid_t pid) {
  LauncherEvent event;
  event.mutable_started()->set_pid(pid);
  return event;
}

// The answer to a start (or a release), from what the child wrote on its
// error pipe: its error record (it failed; the caller reaps it), EOF (its
// execve closed the O_CLOEXEC pipe, or it died), or nothing by the deadline
// (it is killed; the caller reaps it). errno is never read here: a child
// from SpawnChild, running on our memory, writes the same one, and reads it
// after its own failed calls. The capped outputs are copied meanwhile, so
// that their writers do not stall for as long as an exec may take: with
// raw system calls, which leave that errno alone (a copy's EAGAIN between
// the child's execve and its read of errno would end its PATH search).
LauncherEvent Launcher::AwaitExec(pid_t pid, int errors, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::vector<struct pollfd> fds;
  for (;;) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) break;
    fds.assign({{errors, POLLIN, 0}});
    outputs_.AddPollFds(fds);
    const int64_t wait_ms = std::min<int64_t>(absl::ToInt64Milliseconds(left) + 1, kStopCheckMs);
    const int ready = poll(fds.data(), fds.size(), static_cast<int>(wait_ms));
    if (ready > 0) outputs_.PumpIfReady(fds, 1, kPumpBudget);
    if (ready <= 0 || fds[0].revents == 0) {
      // Nothing stops a child before its exec but a signal from a workload
      // (one with CAP_KILL in its namespace, or of the process's user):
      // ended at once, not waited on for the whole timeout, during which
      // this launcher serves no one else.
      siginfo_t info = {};
      if (waitid(P_PID, pid, &info, WSTOPPED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid &&
          info.si_code == CLD_STOPPED) {
        kill(pid, SIGKILL);
        return Failure("start", absl::AbortedError(absl::StrCat(
                                    "the process was stopped (signal ", info.si_status,
                                    ") before its exec, by a signal from the container")));
      }
      continue;
    }
    util::SyncMessage record;
    const ssize_t n = read(errors, &record, sizeof(record));
    if (n == 0) return Started(pid);
    if (n == static_cast<ssize_t>(sizeof(record)) && record.magic == util::kSyncMagic) {
      record.text[sizeof(record.text) - 1] = '\0';
      return FailedAt(record);
    }
    if (n > 0) {
      kill(pid, SIGKILL);
      return Failure("start", absl::InternalError(
                                  absl::StrCat("malformed record of ", n, " bytes from the child")));
    }
  }
  kill(pid, SIGKILL);
  return Failure("start", absl::DeadlineExceededError(absl::StrCat(
                              "the process did not exec within ", absl::FormatDuration(timeout))));
}

// `devpts`: the container's /dev/pts, opened before any workload ran: the
// multiplexer by it, never by /dev/ptmx, which the container's root may
// make a link to a devpts of its own (and so read the terminal).
// `dev`: the container's /dev, also opened then: where /dev is a bind of
// the host's, its devpts's ptmx is host root's with mode 0 (no access from
// our namespace), and the multiplexer is the character device /dev/ptmx
// beside it, opened without following a link and checked to be one.
absl::StatusOr<UniqueFd> OpenMultiplexer(int devpts, int dev) {
  if (devpts < 0) {
    return absl::FailedPreconditionError(
        "a terminal needs a devpts at /dev/pts in the container, and it has none");
  }
  UniqueFd master(openat(devpts, "ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC | O_NOFOLLOW));
  if (master || (errno != EACCES && errno != EPERM) || dev < 0) {
    if (!master) return ErrnoError(errno, "open '/dev/pts/ptmx' in the container");
    return master;
  }
  const int refused = errno;
  master.reset(openat(dev, "ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC | O_NOFOLLOW));
  // Not there, or a link (a /dev of ours): the first refusal is the answer.
  if (!master) return ErrnoError(refused, "open '/dev/pts/ptmx' in the container");
  struct stat st;
  if (fstat(master.get(), &st) != 0) return ErrnoError(errno, "fstat '/dev/ptmx'");
  if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 5 || minor(st.st_rdev) != 2) {
    return absl::FailedPreconditionError(
        "'/dev/ptmx' in the container is not the pty multiplexer (character device 5:2)");
  }
  return master;
}

absl::StatusOr<UniqueFd> OpenPtyAndSendMaster(int devpts, int dev, int console_socket,
                                              uint32_t rows, uint32_t cols) {
  ASSIGN_OR_RETURN(UniqueFd master, OpenMultiplexer(devpts, dev));
  int unlock = 0;
  if (ioctl(master.get(), TIOCSPTLCK, &unlock) != 0) return ErrnoError(errno, "unlock pty");
  // The peer by fd, not by a /dev/pts path a workload could swap.
  UniqueFd peer(ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!peer) return ErrnoError(errno, "TIOCGPTPEER");
  if (rows != 0 && cols != 0) {
    struct winsize size = {};
    size.ws_row = static_cast<unsigned short>(rows);
    size.ws_col = static_cast<unsigned short>(cols);
    if (ioctl(master.get(), TIOCSWINSZ, &size) != 0) {
      return ErrnoError(errno, "TIOCSWINSZ (process.consoleSize)");
    }
  }
  google::protobuf::StringValue name;
  name.set_value("pty");
  // The caller's socket, whose peer may never read: bounded, so that it
  // cannot hold this launcher (and every request after) for good.
  absl::Status sent =
      util::SendPacketWithin(console_socket, name, {master.get()}, kConsoleSendTimeout);
  if (!sent.ok()) return util::Annotate(sent, "send the pty master over the console socket");
  return peer;
}

// The main process's terminal is also the container's /dev/console, as
// runc binds it: init systems (systemd, openrc) write there. The peer is
// bound by its fd (a clone of its mount, attached by fd), never by a
// /dev/pts path a workload could swap, nor through the container's /proc,
// which may be none or the image's.
absl::Status BindConsole(int peer) {
  UniqueFd root(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return ErrnoError(errno, "open the container's root");
  ASSIGN_OR_RETURN(UniqueFd console, TouchInRoot(root.get(), "/dev/console"));
  UniqueFd tree(static_cast<int>(
      syscall(SYS_open_tree, peer, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH)));
  if (!tree) return ErrnoError(errno, "open_tree of the terminal");
  if (syscall(SYS_move_mount, tree.get(), "", console.get(), "",
              MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0) {
    return ErrnoError(errno, "bind the terminal on '/dev/console'");
  }
  return absl::OkStatus();
}

LauncherEvent Launcher::Start(const runsc::launcher::v1::StartProcess& start,
                              std::vector<UniqueFd> fds) {
  const bool terminal = start.process().terminal();
  const size_t stdio_count = terminal ? 1u : 3u;
  if (fds.size() != stdio_count + start.process().extra_fds()) {
    return Failure("stdio", absl::InvalidArgumentError(absl::StrCat(
                                "expected ", stdio_count, " stdio and ",
                                start.process().extra_fds(), " extra fds, got ", fds.size())));
  }
  std::vector<int> extra;
  for (size_t i = stdio_count; i < fds.size(); ++i) extra.push_back(fds[i].get());
  // Refused before anything is made (a pty, and its master sent).
  if (start.main() && main_started_) {
    return Failure("start", absl::FailedPreconditionError("the main process already started"));
  }
  if (start.hold() && !start.main()) {
    return Failure("start", absl::InvalidArgumentError("only the main process can be held"));
  }
  // A terminal: a fresh pty of the container's devpts; the master goes to
  // the caller over its console socket, the peer becomes the process's stdio.
  UniqueFd pty_peer;
  if (terminal) {
    absl::StatusOr<UniqueFd> peer =
        OpenPtyAndSendMaster(devpts_.get(), dev_.get(), fds[0].get(),
                             start.process().console_height(), start.process().console_width());
    if (!peer.ok()) return Failure("terminal", peer.status());
    pty_peer = std::move(*peer);
    if (start.main()) {
      absl::Status console = BindConsole(pty_peer.get());
      if (!console.ok()) return Failure("terminal", console);
    }
  }
  // A capped output: stdout and stderr share a pipe into the stdout fd's
  // file. Ours once the child has it (the write end goes with this scope).
  UniqueFd capped_write;
  if (start.output_limit() > 0 && !terminal) {
    UniqueFd file(fcntl(fds[1].get(), F_DUPFD_CLOEXEC, 0));
    if (!file) return Failure("stdio", ErrnoError(errno, "dup the console log's fd"));
    absl::StatusOr<CappedOutput::Made> made =
        CappedOutput::Create(std::move(file), start.output_limit());
    if (!made.ok()) return Failure("stdio", made.status());
    outputs_.Add(std::move(made->output));
    capped_write = std::move(made->write_end);
  }
  util::SetupStage plan_stage = util::SetupStage::kWorkloadExec;
  absl::StatusOr<std::unique_ptr<WorkloadPlan>> plan =
      PlanWorkload(start.process(), seccomp_, &plan_stage);
  if (!plan.ok()) return Failure(util::StageName(plan_stage), plan.status());
  (*plan)->proc_fd = proc_.get();
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return Failure("start", ErrnoError(errno, "pipe2"));
  UniqueFd err_r(pipe_fds[0]), err_w(pipe_fds[1]);
  UniqueFd go_r, go_w;
  if (start.hold()) {
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) return Failure("start", ErrnoError(errno, "pipe2"));
    go_r.reset(pipe_fds[0]);
    go_w.reset(pipe_fds[1]);
  }
  // A held child reads its arguments again once released, after Start has
  // returned: they live in its Held entry until then.
  Held held;
  ChildArgs local;
  ChildArgs& child = start.hold() ? *(held.args = std::make_unique<ChildArgs>()) : local;
  child.plan = plan->get();
  child.reset_signals = &reset_signals_;
  child.userns = userns_.get();
  for (int i = 0; i < 3; ++i) child.stdio[i] = terminal ? pty_peer.get() : fds[i].get();
  if (capped_write) child.stdio[1] = child.stdio[2] = capped_write.get();
  child.extra = extra.data();
  child.extra_count = extra.size();
  child.error_fd = err_w.get();
  child.hold_fd = go_r ? go_r.get() : -1;
  child.close_fd = go_w ? go_w.get() : -1;
  absl::StatusOr<pid_t> spawned = SpawnChild(
      child, start.hold() ? StackUse::kHeld : StackUse::kStart, ChildMayBorrowMemory(proc_.get()));
  if (!spawned.ok()) return Failure("start", spawned.status());
  const pid_t pid = *spawned;
  err_w.reset();
  go_r.reset();
  capped_write.reset();
  Tracked tracked;
  tracked.args.assign(start.process().args().begin(), start.process().args().end());
  tracked.main = start.main();
  if (start.hold()) {
    // Its own fd table was copied at the clone: what this one closes from
    // here on stays open in the child's.
    absl::StatusOr<util::SyncMessage> record =
        util::ReadSyncMessage(err_r.get(), kExecTimeout);
    if (record.ok() && record->type == util::SyncType::kReady) {
      running_[pid] = tracked;
      main_started_ = true;
      held.go = std::move(go_w);
      held.errors = std::move(err_r);
      held.plan = *std::move(plan);
      held.extra = std::move(extra);  // the buffer child.extra points into
      held_[pid] = std::move(held);
      return Started(pid);
    }
    // It failed before the hold (its record says why), or never got there.
    LauncherEvent failed = record.ok() ? FailedAt(*record) : Failure("start", record.status());
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return failed;
  }
  LauncherEvent event = AwaitExec(pid, err_r.get(), kExecTimeout);
  if (event.has_started()) {
    running_[pid] = tracked;
    if (start.main()) main_started_ = true;
  } else {
    waitpid(pid, nullptr, 0);  // killed, or failed: no longer on our memory
  }
  RestoreOomScoreAdj(**plan);
  return event;
}

LauncherEvent Launcher::Release(pid_t pid) {
  auto it = held_.find(pid);
  if (it == held_.end()) {
    return Failure("start", absl::FailedPreconditionError(
                                absl::StrCat("pid ", pid, " is not a created process")));
  }
  Held& held = it->second;
  if (!held.go) {
    return Failure(
        "start", absl::FailedPreconditionError(absl::StrCat("pid ", pid, " was released already")));
  }
  // SIGPIPE is blocked (Run): a child that died meanwhile makes this EPIPE.
  const bool sent = write(held.go.get(), "g", 1) == 1;
  const int err = errno;
  held.go.reset();
  if (!sent) return Failure("start", ErrnoError(err, absl::StrCat("release pid ", pid)));
  // A failure after the hold ends the process: Reap reports its exit.
  LauncherEvent event = AwaitExec(pid, held.errors.get(), kExecTimeout);
  RestoreOomScoreAdj(*held.plan);
  // Exec'd (or dead: EOF comes after its memory was let go), it reads
  // nothing of ours any more. Else it may still run on our memory until
  // the kill lands, and its plan and arguments stay until Reap has it.
  if (event.has_started()) held_.erase(it);
  return event;
}

void Launcher::HandleRequest(const LauncherRequest& request, std::vector<UniqueFd> fds) {
  LauncherEvent reply;
  switch (request.kind_case()) {
    case LauncherRequest::kStart:
      reply = Start(request.start(), std::move(fds));
      break;
    case LauncherRequest::kRelease:
      reply = Release(request.release().pid());
      break;
    case LauncherRequest::kSignal: {
      const auto& s = request.signal();
      // From pid 1, kill(-1) reaches every process of the namespace but us.
      pid_t target = s.all() ? -1 : s.pid();
      if (!s.all() && (s.pid() <= 1)) {
        reply = Failure("signal", absl::InvalidArgumentError(
                                      absl::StrCat("pid: ", s.pid(), " is not a workload")));
      } else if (!s.all() && running_.count(s.pid()) == 0) {
        // Ended (and reaped): its pid may be another process's by now.
        reply = Failure("signal",
                        ErrnoError(ESRCH, absl::StrCat("pid ", s.pid(), " is no longer running")));
      } else if (kill(target, s.signal()) != 0 && !(s.all() && errno == ESRCH)) {
        reply = Failure("signal", ErrnoError(errno, absl::StrCat("kill(", target, ", ",
                                                                 s.signal(), ")")));
      } else {
        reply.mutable_signaled();
      }
      break;
    }
    case LauncherRequest::kList: {
      // Every process of the container, from our procfs of its PID
      // namespace (the tracked ones, should it not open).
      std::vector<ListedProcess> listed;
      UniqueFd proc_dir(openat(proc_.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      DIR* proc = proc_dir ? fdopendir(proc_dir.get()) : nullptr;
      if (proc != nullptr) (void)proc_dir.release();
      if (proc != nullptr) {
        while (struct dirent* e = readdir(proc)) {
          pid_t pid;
          if (absl::SimpleAtoi(e->d_name, &pid) && pid > 1) listed.push_back({pid, false, {}});
        }
        closedir(proc);
      } else {
        for (const auto& [pid, t] : running_) listed.push_back({pid, false, {}});
      }
      // What each runs now, as runc's ps and a paused sandbox's list show
      // it: a shell that exec'd another program is that program. A held
      // process has not exec'd its own yet, and a zombie has none: they
      // show the arguments they were started with.
      for (ListedProcess& p : listed) {
        auto it = running_.find(p.pid);
        if (it != running_.end()) p.main = it->second.main;
        if (held_.count(p.pid) == 0) {
          p.args = ReadCommandLine(proc_.get(), p.pid, kMaxListedArgsBytes);
        }
        if (p.args.empty() && it != running_.end()) p.args = it->second.args;
      }
      size_t left_out = 0;
      *reply.mutable_list() = BoundedProcessList(std::move(listed), kProcessListBudget, &left_out);
      if (left_out != 0) {
        util::Log(util::LogLevel::kWarning, kComponent,
                  absl::StrCat("listed ", reply.list().processes_size(), " processes; ", left_out,
                               " more did not fit a packet"));
      }
      break;
    }
    default:
      reply = Failure("request", absl::InvalidArgumentError("unknown launcher request"));
  }
  reply.set_request_id(request.id());
  Send(reply);
}

void Launcher::Reap() {
  for (;;) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    auto it = running_.find(pid);
    if (it == running_.end()) continue;  // an orphan we inherited
    // Whoever hears of the exit finds its output in the console log.
    outputs_.Pump(kDrainBudget);
    LauncherEvent event;
    auto* exited = event.mutable_exited();
    exited->set_pid(pid);
    exited->set_main(it->second.main);
    if (WIFSIGNALED(status)) {
      exited->set_signaled(true);
      exited->set_signal(WTERMSIG(status));
    } else {
      exited->set_code(WEXITSTATUS(status));
    }
    const bool main = it->second.main;
    running_.erase(it);
    held_.erase(pid);  // killed while created
    // The container stops with its main process: everything else is
    // killed before the exit is reported, so that whoever hears of it knows
    // no process of the container runs again (a delete after it need not
    // kill anything but the sandbox's own processes).
    if (main) kill(-1, SIGKILL);
    Send(event);
    // In runtime mode the sandbox ends too, so end now rather than when the
    // supervisor's exit takes us down: the kernel's teardown of this PID
    // and mount namespace (waits for RCU grace periods, mostly) then runs
    // beside the supervisor's instead of after it.
    if (main && exit_with_main_) Exit();
  }
}

void Launcher::Exit() {
  kill(-1, SIGKILL);
  while (waitpid(-1, nullptr, 0) > 0) {
  }
  _exit(0);
}

void Launcher::Run() {
  // SIGPIPE too: a write to a held child's pipe after it died must fail
  // with EPIPE, not end the container. Workload children empty the mask.
  sigset_t blocked;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGCHLD);
  sigaddset(&blocked, SIGPIPE);
  sigprocmask(SIG_BLOCK, &blocked, nullptr);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  UniqueFd sigfd(signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!sigfd) {
    Send(Failure("launcher", ErrnoError(errno, "signalfd(SIGCHLD)")));
    Exit();
  }
  // A main process started with "ready" may have ended already, its
  // SIGCHLD discarded before it was blocked: its zombie is still there.
  Reap();
  std::vector<struct pollfd> fds;
  for (;;) {
    fds.assign({{sock_, POLLIN, 0}, {sigfd.get(), POLLIN, 0}});
    outputs_.AddPollFds(fds);
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      Exit();
    }
    // Before an exit is reaped (which drains them all anyway) and before a
    // request, which may start a process and add an output.
    outputs_.PumpIfReady(fds, 2, kPumpBudget);
    if (fds[1].revents & POLLIN) {
      struct signalfd_siginfo info;
      while (read(sigfd.get(), &info, sizeof(info)) > 0) {
      }
      Reap();
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      LauncherRequest request;
      std::vector<UniqueFd> received;
      absl::Status status = util::RecvPacket(sock_, &request, &received);
      if (absl::IsUnavailable(status)) Exit();  // the supervisor is gone
      if (!status.ok()) {
        Send(Failure("request", status));
        continue;
      }
      HandleRequest(request, std::move(received));
    }
  }
}

}  // namespace

absl::Status JoinSandboxNetwork(int sock) {
  runsc::launcher::v1::NetworkNamespace packet;
  std::vector<UniqueFd> fds;
  RETURN_IF_ERROR(util::Annotate(util::RecvPacket(sock, &packet, &fds),
                                 "receive the sandbox's network namespace"));
  if (fds.size() != 1) {
    return absl::InternalError(
        absl::StrCat("the sandbox's network namespace came with ", fds.size(), " fds, not one"));
  }
  if (setns(fds[0].get(), CLONE_NEWNET) != 0) {
    return ErrnoError(errno, "setns into the sandbox's network namespace");
  }
  return absl::OkStatus();
}

absl::StatusOr<runsc::boot::v1::BootConfig> ReceiveAssignment(int host) {
  runsc::launcher::v1::ContainerAssignment assignment;
  std::vector<UniqueFd> received;
  RETURN_IF_ERROR(util::Annotate(util::RecvPacket(host, &assignment, &received),
                                 "receive the warm sandbox's container"));
  const runsc::boot::v1::BootConfig& config = assignment.config();
  if (!config.has_container() || config.container_on_socket()) {
    return absl::InvalidArgumentError("the assigned config has no container of its own");
  }
  if (util::kFirstMountFd + received.size() > static_cast<size_t>(util::kMaxBootFds)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the container came with ", received.size(), " fds, more than fit"));
  }
  // Out of the way first: the kernel gave them the lowest free numbers,
  // which may be the very ones they are to take.
  std::vector<UniqueFd> high;
  for (const UniqueFd& fd : received) {
    high.emplace_back(fcntl(fd.get(), F_DUPFD_CLOEXEC, util::kMaxBootFds));
    if (!high.back()) return ErrnoError(errno, "move a received fd");
  }
  received.clear();
  for (size_t i = 0; i < high.size(); ++i) {
    const int target = util::kFirstMountFd + static_cast<int>(i);
    if (dup3(high[i].get(), target, O_CLOEXEC) < 0) {
      return ErrnoError(errno, absl::StrCat("install a received fd as fd ", target));
    }
  }
  return config;
}

void ReportLauncherFailure(int sock, absl::string_view stage, const absl::Status& status) {
  (void)util::SendPacket(sock, Failure(stage, status));
  _exit(1);
}

void LauncherMain(runsc::boot::v1::BootConfig config, int sock) {
  auto fail = [sock](absl::string_view stage, const absl::Status& status) {
    ReportLauncherFailure(sock, stage, status);
  };
  // The config has been read; the log (0-2), this socket and the mount
  // trees are all the launcher holds. None of them is for a workload's exec
  // (its child installs its stdio and extra fds with dup2, and marks the
  // rest close-on-exec itself): close-on-exec from here, as a second guard.
  close(util::kConfigFd);
  (void)syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
  // Into the sandbox's network namespace, which the spawner's child made
  // while we exec'd, before anything that sees or mounts the network (a
  // sysfs mount needs a namespace the sandbox owns).
  if (config.network_on_socket()) {
    absl::Status joined = JoinSandboxNetwork(sock);
    if (!joined.ok()) fail("network", joined);
  }
  // A warm sandbox's socket to the host, at the first mount fd's number,
  // moves away: the assigned fds take that number and those after it.
  UniqueFd host;
  if (config.container_on_socket()) {
    host.reset(fcntl(util::kFirstMountFd, F_DUPFD_CLOEXEC, util::kMaxBootFds));
    if (!host) fail("launcher", ErrnoError(errno, "move the host's socket"));
    close(util::kFirstMountFd);
  }
  absl::Status status = PrepareProc();
  if (!status.ok()) fail("proc", status);
  // Kept past the pivot: the container's /proc may be none, or files of a
  // workload's making.
  UniqueFd proc(open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!proc) fail("proc", ErrnoError(errno, "open our procfs"));
  const bool warm = host.get() >= 0;
  if (warm) {
    // The sandbox is up; the rest is the request's.
    absl::StatusOr<runsc::boot::v1::BootConfig> assigned = ReceiveAssignment(host.get());
    if (!assigned.ok()) fail("assignment", assigned.status());
    config = *std::move(assigned);
    host.reset();
  }
  status = ApplySysctls(config);
  if (!status.ok()) fail("sysctl", status);
  absl::StatusOr<util::UserNamespace> userns =
      CreateNestedUserns("/proc", config.container().config());
  if (!userns.ok()) fail("user-namespace", userns.status());
  const std::string& named = config.container().config().hostname();
  status = BuildContainerRoot(config.container(),
                              config.uts_joined() ? ""
                              : named.empty()     ? config.sandbox_id()
                                                  : named,
                              config.uts_joined() ? "" : config.container().config().domainname());
  if (!status.ok()) fail("mounts", status);
  // The mount trees are attached now; their fds have no further use. The
  // namespace's holder, let go before the build, has exited meanwhile.
  CloseMountTrees(config.container());
  userns->holder.Reap();
  // Workload children share this process's memory until their execve
  // (SpawnChild), and from their setns on, their credentials are the
  // workloads' namespace's: a workload with CAP_SYS_PTRACE there must not
  // be able to open the child's /proc/<pid>/mem, which is ours. A process
  // that is not dumpable can only be traced with the capability in the
  // namespace that owns its memory, the sandbox's.
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    fail("launcher", ErrnoError(errno, "PR_SET_DUMPABLE"));
  }
  // Before any workload runs, so the container's own devpts instance.
  UniqueFd devpts, dev;
  if (UniqueFd root(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)); root) {
    absl::StatusOr<UniqueFd> pts = OpenInRoot(root.get(), "/dev/pts", O_PATH | O_DIRECTORY);
    struct statfs fs;
    if (pts.ok() && fstatfs(pts->get(), &fs) == 0 && fs.f_type == DEVPTS_SUPER_MAGIC) {
      devpts = *std::move(pts);
    }
    if (absl::StatusOr<UniqueFd> d = OpenInRoot(root.get(), "/dev", O_PATH | O_DIRECTORY); d.ok()) {
      dev = *std::move(d);
    }
  }
  Launcher launcher(sock, std::move(userns->fd), config.exit_with_main(), std::move(proc),
                    std::move(devpts), std::move(dev));
  LauncherEvent ready;
  ready.mutable_ready();
  if (warm) {
    ready.mutable_ready()->set_sandbox_id(config.sandbox_id());
    *ready.mutable_ready()->mutable_main_process() = config.container().config().process();
  }
  if (config.main_fds_size() > 0) {
    // `runsc run` and CreateSandbox{start}: nothing is left to wait for (we
    // were born in the container's cgroups), so the main process starts
    // now, on the stdio and extra fds given at our spawn, and "ready" says
    // how that went, without a round trip to the supervisor. Its exit, if
    // it comes at once, follows "ready".
    runsc::launcher::v1::StartProcess main;
    *main.mutable_process() = config.container().config().process();
    main.set_main(true);
    main.set_output_limit(config.main_output_limit());
    std::vector<UniqueFd> fds;
    for (int fd : config.main_fds()) fds.emplace_back(fd);
    LauncherEvent started = launcher.Start(main, std::move(fds));
    if (started.has_started()) {
      ready.mutable_ready()->set_main_pid(started.started().pid());
    } else {
      *ready.mutable_ready()->mutable_main_failed() = started.failed();
    }
  }
  if (!util::SendPacket(sock, ready).ok()) _exit(1);
  if (config.main_fds_size() == 0) launcher.Precompile(config.container().config().process());
  launcher.Run();
}

}  // namespace runsc::boot
