#include "runsc/container_commands.h"

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "proto/oci.pb.h"
#include "runsc/cli_common.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/json_string.h"
#include "runsc/util/unique_fd.h"
#include "sandbox/control_client.h"
#include "sandbox/sandbox.h"
#include "sandbox/state_store.h"
#include "specutils/capabilities.h"
#include "specutils/spec_json.h"

namespace runsc::cli {

int SpecCommand(int argc, char** argv) {
  FlagSpec spec;
  spec.with_value = {"bundle", "b"};
  spec.aliases = {{"b", "bundle"}};
  absl::StatusOr<ParsedFlags> f = ParseFlags(argc, argv, WithRoot(spec), kNoPassthrough);
  if (!f.ok()) return Error("spec", std::string(f.status().message()));
  if (f->Has("help")) {
    return Usage(
        "Usage: runsc spec [--bundle DIR]\n\n"
        "Writes a new config.json for a rootless-style busybox bundle in DIR\n"
        "(default: the current directory); refuses to overwrite one.\n");
  }
  const std::string bundle = f->Get("bundle", ".");
  const std::string path = bundle + "/config.json";
  if (access(path.c_str(), F_OK) == 0) {
    return Error("spec", "File " + path + " exists. Remove it first");
  }
  runsc::oci::v1::Spec s;
  s.set_oci_version("1.0.2");
  auto* p = s.mutable_process();
  p->set_terminal(true);
  p->add_args("sh");
  p->add_env("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  p->add_env("TERM=xterm");
  p->set_cwd("/");
  p->mutable_user();
  for (const std::string& cap : specutils::DefaultCapabilities()) {
    for (auto* set : {p->mutable_capabilities()->mutable_bounding(),
                      p->mutable_capabilities()->mutable_effective(),
                      p->mutable_capabilities()->mutable_permitted(),
                      p->mutable_capabilities()->mutable_ambient()}) {
      set->Add(std::string(cap));
    }
  }
  auto* nofile = p->add_rlimits();
  nofile->set_type("RLIMIT_NOFILE");
  nofile->set_hard(1024);
  nofile->set_soft(1024);
  p->set_no_new_privileges(true);
  s.mutable_root()->set_path("rootfs");
  s.mutable_root()->set_readonly(true);
  s.set_hostname("runsc");
  auto mount = [&s](const char* dest, const char* type, const char* source,
                    std::vector<const char*> options) {
    auto* m = s.add_mounts();
    m->set_destination(dest);
    m->set_type(type);
    m->set_source(source);
    for (const char* o : options) m->add_options(o);
  };
  mount("/proc", "proc", "proc", {});
  mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"});
  mount("/dev/pts", "devpts", "devpts",
        {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"});
  mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"});
  mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"});
  mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"});
  mount("/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"});
  auto* linux = s.mutable_linux();
  for (const char* ns : {"pid", "network", "ipc", "uts", "mount", "cgroup"}) {
    linux->add_namespaces()->set_type(ns);
  }
  for (const char* m : {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                        "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                        "/proc/sched_debug", "/sys/firmware", "/proc/scsi"}) {
    linux->add_masked_paths(m);
  }
  for (const char* r : {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}) {
    linux->add_readonly_paths(r);
  }
  // Integers as JSON numbers: runc, crun and gVisor parse this file too.
  const std::string json = specutils::SpecJson(s);
  FILE* out = fopen(path.c_str(), "wxe");
  if (out == nullptr) return Error("spec", "cannot create " + path + ": " + strerror(errno));
  fputs(json.c_str(), out);
  fclose(out);
  return 0;
}

int KillCommand(int argc, char** argv) {
  FlagSpec spec;
  spec.booleans = {"all"};
  spec.aliases = {{"a", "all"}};
  absl::StatusOr<ParsedFlags> f = ParseFlags(argc, argv, WithRoot(spec), kNoPassthrough);
  if (!f.ok()) return Error("kill", std::string(f.status().message()));
  if (f->Has("help")) {
    return Usage(
        "Usage: runsc [--root DIR] kill [--all] ID [SIGNAL]\n\n"
        "Sends SIGNAL (a name such as KILL or SIGKILL, or a number; default TERM)\n"
        "to the sandbox's main process, or with --all to every process in it.\n");
  }
  if (f->positional.empty() || f->positional.size() > 2) {
    return Error("kill", "usage: runsc kill [--all] ID [SIGNAL]");
  }
  const std::string signal = f->positional.size() == 2 ? f->positional[1] : "TERM";
  // Signal 0, as runc takes it: is the container running?
  absl::StatusOr<int> sig = signal == "0" ? 0 : SignalNumber(signal);
  if (!sig.ok()) return Error("kill", std::string(sig.status().message()));
  const std::string& id = f->positional[0];
  absl::StatusOr<Attached> attached = OpenRunning(*f, id);
  // As runc's: --all of a stopped container has nobody to signal, and
  // succeeds (containerd's shim kills --all as it deletes).
  if (f->Has("all") && absl::IsFailedPrecondition(attached.status())) return 0;
  if (!attached.ok()) return Error("kill", std::string(attached.status().message()));
  absl::Status status;
  sandbox::Sandbox& box = *attached->box;
  if (*sig == 0) {
    // As any signal with --all: a stopped container has nobody to ask.
    if (ContainerEnded(box, attached->record) && !f->Has("all")) {
      return Error("kill", "container not running: " + id);
    }
    return 0;
  }
  if (f->Has("all")) {
    status = box.SignalProcess(0, *sig, /*all=*/true);
  } else if (attached->record.main_pid() == 0) {
    return Error("kill", "container not started: " + id);
  } else {
    status = box.SignalProcess(attached->record.main_pid(), *sig);
  }
  // The main process may have ended since the open, and its launcher with
  // it: the signal then finds nobody. Said as runc says it, in the words
  // containerd's shim looks for.
  if (!status.ok() && ContainerEnded(box, attached->record)) {
    if (f->Has("all")) return 0;
    return Error("kill", "container not running: " + id);
  }
  if (!status.ok()) return Error("kill", std::string(status.message()));
  return 0;
}

constexpr char kDeleteUsage[] =
    "Usage: runsc [--root DIR] delete [--force] ID\n\n"
    "Removes a stopped sandbox and every trace of it (cgroups, uid range,\n"
    "state). --force kills it first if it still runs.\n";

int DeleteCommand(int argc, char** argv) {
  FlagSpec spec;
  spec.booleans = {"force"};
  spec.aliases = {{"f", "force"}};
  int code = 0;
  std::optional<ParsedFlags> f = ParseCommand("delete", kDeleteUsage, spec, argc, argv, 1, &code);
  if (!f) return code;
  const std::string& id = f->positional[0];
  absl::StatusOr<runsc::state::v1::SandboxRecord> record = sandbox::LoadRecord(Root(*f) + "/" + id);
  // One delete at a time, and none beside a start: a second delete would
  // run the poststop hooks again. A create still at it (no process
  // recorded) is not waited for: refused below, or with --force killed.
  const bool creating = !record.ok() || record->pid() == 0;
  absl::StatusOr<util::UniqueFd> lock =
      LockContainer(*f, id, creating ? absl::ZeroDuration() : absl::Seconds(30));
  if (!lock.ok() && !(creating && absl::IsDeadlineExceeded(lock.status()))) {
    return Error("delete", std::string(lock.status().message()));
  }
  record = sandbox::LoadRecord(Root(*f) + "/" + id);  // as it is now
  absl::StatusOr<Attached> attached = Open(*f, id);
  absl::Status removed;
  if (absl::IsFailedPrecondition(attached.status())) {
    // A record without a process is a create that has not finished, or
    // whose creator died: only --force takes it (and kills what it spawned).
    if (record.ok() && record->pid() == 0 && !f->Has("force")) {
      return Error("delete", "container " + id +
                                 " has not finished its create, or its creator died; "
                                 "delete --force removes it");
    }
    removed = sandbox::Sandbox::Reclaim(Root(*f), id);
  } else if (absl::IsNotFound(attached.status())) {
    // A directory without a record: a create killed before its first one
    // (by its caller's timeout, say). runc's delete removes it too, and
    // only with --force calls that a success.
    absl::Status leftover =
        sandbox::Sandbox::ReclaimUnrecorded(Root(*f), id, /*locked=*/lock.ok() && *lock);
    if (absl::IsFailedPrecondition(leftover)) {
      return Error("delete", std::string(leftover.message()));
    }
    if (f->Has("force")) return 0;  // as runc: nothing (else) to force away
    return Error("delete", std::string(attached.status().message()));
  } else if (!attached.ok()) {
    return Error("delete", std::string(attached.status().message()));
  } else {
    std::string status = attached->box->ContainerStatus(attached->record);
    if ((status == "running" || status == "paused") && !f->Has("force")) {
      return Error("delete", "cannot delete container " + id + " that is not stopped: " + status);
    }
    // Frozen processes would not die until thawed.
    if (status == "paused") (void)attached->box->Freeze(false);
    removed = attached->box->Destroy();
  }
  if (!removed.ok()) return Error("delete", std::string(removed.message()));
  if (record.ok()) {
    absl::Status hooked = RunPoststopHooks(id, *record);
    if (!hooked.ok()) return Error("delete", std::string(hooked.message()));
  }
  return 0;
}

namespace {

std::string Rfc3339(int64_t unix_nanos) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E9SZ", absl::FromUnixNanos(unix_nanos),
                          absl::UTCTimeZone());
}

// What `state` and `list` report of one sandbox: a live one's status and
// host pid; a dead one is "stopped" with pid 0, from its record, and one
// whose create has not recorded its process yet "creating".
struct Described {
  runsc::state::v1::SandboxRecord record;
  std::string status;
  int pid = 0;
};

absl::StatusOr<Described> Describe(const ParsedFlags& f, const std::string& id) {
  Described d;
  absl::StatusOr<Attached> attached = Open(f, id);
  if (attached.ok()) {
    d.record = attached->record;
    d.status = attached->box->ContainerStatus(d.record);
    // Stopped while its sandbox process is still on its way out: pid 0,
    // as runc's, and as once the process has gone.
    d.pid = d.status == "stopped" ? 0 : attached->box->pid();
    return d;
  }
  if (!absl::IsFailedPrecondition(attached.status())) return attached.status();
  absl::StatusOr<runsc::state::v1::SandboxRecord> record = sandbox::LoadRecord(Root(f) + "/" + id);
  if (!record.ok()) return record.status();
  d.record = *record;
  // No process recorded yet: OCI's "creating" (or a create whose creator
  // died, which `delete --force` removes).
  d.status = record->pid() == 0 ? "creating" : "stopped";
  return d;
}

// One sandbox's OCI state as runc prints it: indented for `state`, on one
// line for `list --format json`. The bundle and rootfs are the caller's
// paths, which may hold characters JSON must escape (they are UTF-8: a
// create refuses any other, ValidateCreateOptions).
std::string OciStateJson(const std::string& id, const Described& d, bool indented) {
  std::vector<std::string> fields = {
      absl::StrCat("\"ociVersion\":", indented ? " " : "", "\"1.0.2\""),
      absl::StrCat("\"id\":", indented ? " " : "", util::JsonQuote(id)),
      absl::StrCat("\"pid\":", indented ? " " : "", d.pid),
      absl::StrCat("\"status\":", indented ? " " : "", util::JsonQuote(d.status)),
      absl::StrCat("\"bundle\":", indented ? " " : "", util::JsonQuote(d.record.bundle())),
      absl::StrCat("\"rootfs\":", indented ? " " : "",
                   util::JsonQuote(d.record.container().rootfs())),
      absl::StrCat("\"created\":", indented ? " " : "",
                   util::JsonQuote(Rfc3339(d.record.created_unix_nanos()))),
  };
  // As runc's: only when the spec has some, keys in order, before the owner.
  const auto& annotations = d.record.container().annotations();
  if (!annotations.empty()) {
    std::vector<std::string> pairs;
    for (const auto& [key, value] :
         std::map<std::string, std::string>(annotations.begin(), annotations.end())) {
      pairs.push_back(
          absl::StrCat(util::JsonQuote(key), indented ? ": " : ":", util::JsonQuote(value)));
    }
    fields.push_back(indented ? absl::StrCat("\"annotations\": {\n    ",
                                             absl::StrJoin(pairs, ",\n    "), "\n  }")
                              : absl::StrCat("\"annotations\":{", absl::StrJoin(pairs, ","), "}"));
  }
  fields.push_back(absl::StrCat("\"owner\":", indented ? " " : "", "\"\""));
  if (!indented) return absl::StrCat("{", absl::StrJoin(fields, ","), "}");
  return absl::StrCat("{\n  ", absl::StrJoin(fields, ",\n  "), "\n}\n");
}

}  // namespace

constexpr char kStateUsage[] =
    "Usage: runsc [--root DIR] state ID\n\n"
    "Prints the sandbox's OCI state as JSON (ociVersion, id, status, pid,\n"
    "bundle, rootfs, created, the spec's annotations if any, owner), as runc does.\n";

int StateCommand(int argc, char** argv) {
  FlagSpec spec;
  int code = 0;
  std::optional<ParsedFlags> f = ParseCommand("state", kStateUsage, spec, argc, argv, 1, &code);
  if (!f) return code;
  const std::string& id = f->positional[0];
  absl::StatusOr<Described> d = Describe(*f, id);
  if (absl::IsNotFound(d.status())) {
    return Error("state", "container \"" + id + "\" does not exist");
  }
  if (!d.ok()) return Error("state", std::string(d.status().message()));
  fputs(OciStateJson(id, *d, /*indented=*/true).c_str(), stdout);
  return 0;
}

int ListCommand(int argc, char** argv) {
  FlagSpec spec;
  spec.with_value = {"format"};
  spec.booleans = {"quiet"};
  spec.aliases = {{"f", "format"}, {"q", "quiet"}};
  absl::StatusOr<ParsedFlags> f = ParseFlags(argc, argv, WithRoot(spec), kNoPassthrough);
  if (!f.ok()) return Error("list", std::string(f.status().message()));
  if (f->Has("help")) {
    return Usage(
        "Usage: runsc [--root DIR] list [--format table|json] [-q]\n\n"
        "Lists the sandboxes under the state root; -q prints only their ids.\n");
  }
  const std::string format = f->Get("format", "table");
  if (format != "table" && format != "json") {
    return Error("list", "invalid format option \"" + format + "\"");
  }
  absl::StatusOr<std::vector<std::string>> ids = sandbox::Sandbox::ListIds(Root(*f));
  if (!ids.ok()) return Error("list", std::string(ids.status().message()));
  std::vector<std::string> json;
  if (format == "table" && !f->Has("quiet")) printf("%-20s %-8s %-10s %-40s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED");
  for (const std::string& id : *ids) {
    if (f->Has("quiet")) {
      printf("%s\n", id.c_str());
      continue;
    }
    // As runc: one deleted since the listing has no row; one whose record
    // cannot be read is named on stderr.
    absl::StatusOr<Described> described = Describe(*f, id);
    if (!described.ok()) {
      if (!absl::IsNotFound(described.status())) {
        fprintf(stderr, "runsc list: %s: %s\n", id.c_str(),
                std::string(described.status().message()).c_str());
      }
      continue;
    }
    const Described& d = *described;
    if (format == "table") {
      printf("%-20s %-8d %-10s %-40s %s\n", id.c_str(), d.pid, d.status.c_str(),
             d.record.bundle().c_str(), Rfc3339(d.record.created_unix_nanos()).c_str());
    } else {
      json.push_back(OciStateJson(id, d, /*indented=*/false));
    }
  }
  if (format == "json") printf("[%s]\n", absl::StrJoin(json, ",").c_str());
  return 0;
}

constexpr char kPsUsage[] =
    "Usage: runsc [--root DIR] ps [--format table|json] ID [PS-ARGS...]\n\n"
    "Lists the processes running in the sandbox: container and host pids and\n"
    "commands, or with --format json the host pids (as runc prints them).\n"
    "With PS-ARGS, as runc: the host's ps(1) run with them, its header and\n"
    "the rows of the sandbox's processes (found by the PID column).\n";

namespace {

// `text` (UTF-8: it came in a protobuf string) with every control
// character as '?', as ps(1) shows a command line: C0, DEL, and C1 (U+0080
// to U+009F, which some terminals act on: U+009B is CSI). What a workload
// put in its arguments never reaches the terminal as an escape sequence.
std::string Printable(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char u = static_cast<unsigned char>(text[i]);
    const unsigned char next = i + 1 < text.size() ? static_cast<unsigned char>(text[i + 1]) : 0;
    if (u == 0xc2 && next >= 0x80 && next <= 0x9f) {
      out.push_back('?');
      ++i;
    } else if (u < 0x20 || u == 0x7f) {
      out.push_back('?');
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

// What `ps ARGS` prints, stdout and stderr together (as runc reads it);
// an error with that output if it fails.
absl::StatusOr<std::string> RunHostPs(const std::vector<std::string>& args) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return util::ErrnoError(errno, "pipe2 for ps");
  util::UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDERR_FILENO);
  std::vector<char*> argv = {const_cast<char*>("ps")};
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  pid_t pid;
  const int spawned = posix_spawnp(&pid, "ps", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return util::ErrnoError(spawned, "run the host's ps");
  write_end.reset();
  std::string out;
  char buf[65536];
  ssize_t n;
  while ((n = read(read_end.get(), buf, sizeof(buf))) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(absl::StrCat("ps ", absl::StrJoin(args, " "), ": ",
                                            absl::StripTrailingAsciiWhitespace(out)));
  }
  return out;
}

// runc's `ps ID ARGS`: ps's header, then its rows whose PID is one of
// `pids` (host pids).
int PrintHostPs(const std::vector<std::string>& args, const std::set<pid_t>& pids) {
  absl::StatusOr<std::string> out = RunHostPs(args);
  if (!out.ok()) return Error("ps", std::string(out.status().message()));
  std::vector<absl::string_view> lines = absl::StrSplit(*out, '\n', absl::SkipEmpty());
  if (lines.empty()) return Error("ps", "ps printed nothing");
  std::vector<absl::string_view> header = absl::StrSplit(lines[0], ' ', absl::SkipEmpty());
  const auto column = std::find(header.begin(), header.end(), "PID");
  if (column == header.end()) {
    return Error("ps", absl::StrCat("ps's header has no PID column: '", lines[0], "'"));
  }
  const size_t index = static_cast<size_t>(column - header.begin());
  printf("%s\n", std::string(lines[0]).c_str());
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<absl::string_view> fields = absl::StrSplit(lines[i], ' ', absl::SkipEmpty());
    pid_t pid;
    if (index < fields.size() && absl::SimpleAtoi(fields[index], &pid) && pids.count(pid) != 0) {
      printf("%s\n", std::string(lines[i]).c_str());
    }
  }
  return 0;
}

}  // namespace

int PsCommand(int argc, char** argv) {
  FlagSpec spec;
  spec.with_value = {"format"};
  spec.aliases = {{"f", "format"}};
  // What follows the id is ps(1)'s, as runc takes it.
  absl::StatusOr<ParsedFlags> f = ParseFlags(argc, argv, WithRoot(spec), 1);
  if (!f.ok()) return Error("ps", std::string(f.status().message()));
  if (f->Has("help")) return Usage(kPsUsage);
  if (f->positional.empty()) return Error("ps", "requires the id (and optionally ps's arguments)");
  const std::vector<std::string> ps_args(f->positional.begin() + 1, f->positional.end());
  const std::string format = f->Get("format", "table");
  if (format != "table" && format != "json") {
    return Error("ps", "invalid format option \"" + format + "\"");
  }
  absl::StatusOr<Attached> attached = Open(*f, f->positional[0]);
  if (absl::IsFailedPrecondition(attached.status())) {
    // Stopped: no process to show, and no error, as runc's (which lists
    // its cgroup's, then empty). containerd asks for the pids of a task
    // that has exited.
    if (format == "json") {
      printf("[]\n");
    } else if (!ps_args.empty()) {
      return PrintHostPs(ps_args, {});
    } else {
      printf("%-8s %-8s %s\n", "PID", "HOSTPID", "CMD");
    }
    return 0;
  }
  if (!attached.ok()) return Error("ps", std::string(attached.status().message()));
  absl::StatusOr<std::map<int, pid_t>> host = attached->box->HostPids();
  if (!host.ok()) return Error("ps", std::string(host.status().message()));
  if (format == "table" && !ps_args.empty()) {
    std::set<pid_t> pids;
    for (const auto& [pid, host_pid] : *host) {
      if (pid != 1) pids.insert(host_pid);  // the launcher is no workload
    }
    return PrintHostPs(ps_args, pids);
  }
  if (format == "json") {
    // As runc: the host pids, which is what containerd's shim reads. Read
    // from /proc alone, so a paused container answers too. Container pid 1
    // is the launcher, not a workload.
    std::vector<std::string> pids;
    for (const auto& [pid, host_pid] : *host) {
      if (pid != 1) pids.push_back(absl::StrCat(host_pid));
    }
    printf("[%s]\n", absl::StrJoin(pids, ",").c_str());
    return 0;
  }
  // A paused container's launcher, which lists them, is frozen too: then
  // from /proc, as the launcher reads them.
  absl::StatusOr<runsc::control::v1::ListProcessesResponse> ps =
      attached->box->Paused() ? attached->box->ListFrozen()
                              : sandbox::ListOnStdioSocket(attached->box->ControlOnDemand(),
                                                           attached->box->stdio_socket_path());
  if (!ps.ok()) return Error("ps", std::string(ps.status().message()));
  auto host_pid = [&](int pid) {
    auto it = host->find(pid);
    return it == host->end() ? 0 : it->second;
  };
  printf("%-8s %-8s %s\n", "PID", "HOSTPID", "CMD");
  for (const auto& p : ps->processes()) {
    printf("%-8d %-8d %s\n", p.pid(), host_pid(p.pid()),
           Printable(absl::StrJoin(p.args(), " ")).c_str());
  }
  return 0;
}

constexpr char kWaitUsage[] =
    "Usage: runsc [--root DIR] wait ID\n\n"
    "Waits for the sandbox's main process to exit and prints\n"
    "{\"id\":ID,\"exitStatus\":N} (128+signal when it was killed).\n";

int WaitCommand(int argc, char** argv) {
  FlagSpec spec;
  int code = 0;
  std::optional<ParsedFlags> f = ParseCommand("wait", kWaitUsage, spec, argc, argv, 1, &code);
  if (!f) return code;
  const std::string& id = f->positional[0];
  absl::StatusOr<Attached> attached = Open(*f, id);
  absl::Status failed = attached.status();
  if (attached.ok() && attached->record.main_pid() == 0) {
    return Error("wait", absl::StrCat("container not started: ", id));
  }
  if (attached.ok() && attached->record.exits_with_main()) {
    // It ends with its main process, and logs its status: its end is all
    // there is to wait for, and no call need start its gRPC server.
    failed = attached->box->Wait(absl::InfiniteDuration()).status();
    if (failed.ok()) {
      failed = absl::InternalError(absl::StrCat("sandbox '", id, "' ended without its status"));
    }
  } else if (attached.ok()) {
    absl::StatusOr<runsc::control::v1::ExitStatus> status =
        attached->box->WaitProcess(attached->record.main_pid(), absl::InfiniteDuration());
    if (status.ok()) {
      printf("{\"id\":\"%s\",\"exitStatus\":%d}\n", id.c_str(), ShellCode(*status));
      return 0;
    }
    failed = status.status();
  }
  // A runtime-mode sandbox ends with its main process, and logs its status.
  absl::StatusOr<int> logged = sandbox::Sandbox::ExitStatusFromLog(Root(*f), id);
  if (!logged.ok()) return Error("wait", std::string(failed.message()));
  printf("{\"id\":\"%s\",\"exitStatus\":%d}\n", id.c_str(), *logged);
  return 0;
}

namespace {

// The OCI hooks `create`, `start` and `delete` run.
const std::vector<std::string> kSupportedHooks = {"prestart",        "createRuntime",
                                                  "createContainer", "startContainer",
                                                  "poststart",       "poststop"};

std::string LibseccompVersion() {
  const struct scmp_version* v = seccomp_version();
  return v == nullptr ? "" : absl::StrCat(v->major, ".", v->minor, ".", v->micro);
}

}  // namespace

constexpr char kFeaturesUsage[] =
    "Usage: runsc features\n\n"
    "Prints what this runtime supports as runc's features JSON: OCI versions,\n"
    "hooks, mount options, namespaces, capabilities, cgroups and seccomp.\n";

int FeaturesCommand(int argc, char** argv) {
  FlagSpec spec;
  int code = 0;
  std::optional<ParsedFlags> f = ParseCommand("features", kFeaturesUsage, spec, argc, argv, 0, &code);
  if (!f) return code;
  auto list = [](const std::vector<std::string>& items) {
    std::vector<std::string> quoted;
    for (const std::string& s : items) quoted.push_back(absl::StrCat("\"", s, "\""));
    return absl::StrCat("[", absl::StrJoin(quoted, ","), "]");
  };
  std::vector<std::string> caps;
  for (int cap = 0; cap < specutils::CapabilityCount(); ++cap) {
    caps.push_back(specutils::CapabilityName(cap));
  }
  // What specutils/mount_options.cc knows. Not "idmap": a mount's own
  // uidMappings are not applied (a read-only bind is idmapped into the
  // container's range whatever it asks).
  const std::vector<std::string> mount_options = {"async",
                                                  "atime",
                                                  "bind",
                                                  "defaults",
                                                  "dev",
                                                  "diratime",
                                                  "dirsync",
                                                  "exec",
                                                  "loud",
                                                  "mand",
                                                  "noatime",
                                                  "nodev",
                                                  "nodiratime",
                                                  "noexec",
                                                  "nomand",
                                                  "norelatime",
                                                  "nostrictatime",
                                                  "nosuid",
                                                  "nosymfollow",
                                                  "private",
                                                  "ratime",
                                                  "rbind",
                                                  "rdev",
                                                  "rdiratime",
                                                  "relatime",
                                                  "remount",
                                                  "rexec",
                                                  "rnoatime",
                                                  "rnodev",
                                                  "rnodiratime",
                                                  "rnoexec",
                                                  "rnorelatime",
                                                  "rnostrictatime",
                                                  "rnosuid",
                                                  "rnosymfollow",
                                                  "ro",
                                                  "rprivate",
                                                  "rrelatime",
                                                  "rro",
                                                  "rrw",
                                                  "rshared",
                                                  "rslave",
                                                  "rstrictatime",
                                                  "rsuid",
                                                  "rsymfollow",
                                                  "runbindable",
                                                  "rw",
                                                  "shared",
                                                  "silent",
                                                  "slave",
                                                  "strictatime",
                                                  "suid",
                                                  "symfollow",
                                                  "sync",
                                                  "unbindable"};
  printf("{\n"
         "  \"ociVersionMin\": \"1.0.0\",\n"
         "  \"ociVersionMax\": \"1.1.0\",\n"
         "  \"hooks\": %s,\n"
         "  \"mountOptions\": %s,\n"
         "  \"linux\": {\n"
         "    \"namespaces\": %s,\n"
         "    \"capabilities\": %s,\n"
         "    \"cgroup\": {\"v1\": true, \"v2\": true, \"systemd\": false, "
         "\"systemdUser\": false},\n"
         "    \"seccomp\": {\n"
         "      \"enabled\": true,\n"
         "      \"actions\": %s,\n"
         "      \"operators\": %s,\n"
         "      \"archs\": %s\n"
         "    },\n"
         "    \"apparmor\": {\"enabled\": false},\n"
         "    \"selinux\": {\"enabled\": false}\n"
         "  },\n"
         "  \"annotations\": {\"io.github.seccomp.libseccomp.version\": \"%s\"}\n"
         "}\n",
         list(kSupportedHooks).c_str(), list(mount_options).c_str(),
         list({"cgroup", "ipc", "mount", "network", "pid", "user", "uts"}).c_str(),
         list(caps).c_str(),
         list({"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
               "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP"})
             .c_str(),
         list({"SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT",
               "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"})
             .c_str(),
         list({"SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64",
               "SCMP_ARCH_ARM"})
             .c_str(),
         LibseccompVersion().c_str());
  return 0;
}

}  // namespace runsc::cli
