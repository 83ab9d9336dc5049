// Sandbox's creation: a cold create (the state directory, the cgroups, the
// spawn and its ready), and a warm sandbox's creation and assignment.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <optional>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "boot/control_filter.h"
#include "proto/boot.pb.h"
#include "proto/launcher.pb.h"
#include "runsc/util/boot_fds.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/file_util.h"
#include "runsc/util/json_string.h"
#include "runsc/util/log.h"
#include "runsc/util/packet.h"
#include "runsc/util/status_macros.h"
#include "runsc/util/sync_message.h"
#include "runsc/util/unique_fd.h"
#include "runsc/util/unix_address.h"
#include "runsc/util/version.h"
#include "sandbox/container_setup.h"
#include "sandbox/control_client.h"
#include "sandbox/joined_ns.h"
#include "sandbox/notify_socket.h"
#include "sandbox/sandbox.h"
#include "sandbox/sandbox_internal.h"
#include "sandbox/spawner.h"
#include "sandbox/state_store.h"
#include "specutils/id_map.h"
#include "specutils/oci_spec.h"
#include "specutils/sandbox_id.h"
#include "specutils/sysctl.h"

namespace runsc::sandbox {

using internal::kConsoleLogName;
using internal::kControlSocketName;
using internal::kLogName;
using internal::kStdioSocketName;
using internal::RemoveStateDir;
using util::ErrnoError;
using util::UniqueFd;

namespace {

// The root tmpfs holds two mount points: a little room is all it needs.
constexpr char kDefaultRootTmpfsSize[] = "64k";

absl::StatusOr<UniqueFd> ListenUnix(const std::string& path, int type) {
  ASSIGN_OR_RETURN(util::UnixAddress addr, util::UnixAddress::Of(path, "sandbox socket"));
  UniqueFd fd(socket(AF_UNIX, type | SOCK_CLOEXEC, 0));
  if (!fd) return ErrnoError(errno, "socket(AF_UNIX)");
  if (bind(fd.get(), addr.get(), addr.size()) != 0) {
    return ErrnoError(errno, absl::StrCat("bind '", path, "'"));
  }
  if (chmod(path.c_str(), 0600) != 0) {
    return ErrnoError(errno, absl::StrCat("chmod 0600 '", path, "'"));
  }
  if (listen(fd.get(), 128) != 0) {
    return ErrnoError(errno, absl::StrCat("listen '", path, "'"));
  }
  return fd;
}

}  // namespace

absl::Status CheckSecurityLabels(const runsc::boot::v1::ProcessConfig& process,
                                 const std::string& lsm_root) {
  const bool apparmor = absl::StartsWith(
      util::ReadFileOrEmpty(lsm_root + "/module/apparmor/parameters/enabled"), "Y");
  if (apparmor && !process.apparmor_profile().empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("process.apparmorProfile: '", process.apparmor_profile(),
                     "': this host enforces AppArmor and runsc does not apply profiles yet"));
  }
  const bool selinux = access((lsm_root + "/fs/selinux/enforce").c_str(), F_OK) == 0;
  if (selinux && !process.selinux_label().empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("process.selinuxLabel: '", process.selinux_label(),
                     "': this host has SELinux and runsc does not apply labels yet"));
  }
  return absl::OkStatus();
}

namespace {

// What a cold create and an assignment to a warm sandbox check first.
absl::Status ValidateCreateOptions(const SandboxOptions& options) {
  RETURN_IF_ERROR(specutils::ValidateSandboxId(options.id));
  // The record's strings are proto3's, which hold UTF-8 text: a path that
  // is not would be saved but never read back, and the sandbox could not be
  // found again.
  for (const auto& [what, value] :
       {std::pair<const char*, const std::string&>{"bundle", options.bundle},
        {"NOTIFY_SOCKET", options.notify_socket},
        {"state root", options.state_root},
        {"ranges directory", options.ranges_dir}}) {
    if (!util::IsValidUtf8(value)) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": '", value,
                       "' is not valid UTF-8, which the sandbox record's "
                       "strings cannot hold"));
    }
  }
  if (options.container.has_value()) {
    RETURN_IF_ERROR(CheckSecurityLabels(options.container->process()));
  } else if (options.start_main) {
    return absl::InvalidArgumentError(
        "start_main: a sandbox without a container has no main process");
  }
  if (!options.start_main && !options.main_fds.empty()) {
    return absl::InvalidArgumentError("main_fds: only for a main process started with the sandbox");
  }
  return absl::OkStatus();
}

// Makes <state_root>/<id>/ (0700), and the state root on first use, and
// returns its lock (LockStateDir's), held from before the directory has its
// name: it is made and locked as <state_root>/.creating-<id>-XXXXXX and
// then renamed into place (RENAME_NOREPLACE), so no other process ever sees
// it unlocked without a record, and none can take it for what a dead
// create left (ReclaimUnrecorded) while this one stalls.
absl::StatusOr<UniqueFd> MakeStateDir(const std::string& state_root, const std::string& id,
                                      const std::string& dir) {
  std::string made;
  auto make_temp = [&] {
    made = absl::StrCat(state_root, "/", kCreatingPrefix, id, "-XXXXXX");
    return mkdtemp(made.data()) != nullptr;
  };
  if (!make_temp()) {
    if (errno != ENOENT) return ErrnoError(errno, absl::StrCat("mkdir '", made, "'"));
    // The state root is made on first use.
    RETURN_IF_ERROR(util::MakeDirs(state_root, 0711));
    if (!make_temp()) return ErrnoError(errno, absl::StrCat("mkdir '", made, "'"));
  }
  absl::Cleanup remove_made = [&made] { rmdir(made.c_str()); };
  UniqueFd lock(open(made.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
  if (!lock) return ErrnoError(errno, absl::StrCat("open '", made, "'"));
  // Nobody else knows of it: taken at once.
  if (flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
    return ErrnoError(errno, absl::StrCat("lock '", made, "'"));
  }
  auto rename_into_place = [&] {
    return renameat2(AT_FDCWD, made.c_str(), AT_FDCWD, dir.c_str(), RENAME_NOREPLACE) == 0 ? 0
                                                                                           : errno;
  };
  int err = rename_into_place();
  // What a create killed before its first record left takes the id no
  // longer (a caller's retry after its timeout killed us).
  if (err == EEXIST && Sandbox::ReclaimUnrecorded(state_root, id).ok()) err = rename_into_place();
  if (err == EEXIST) {
    return absl::AlreadyExistsError(
        absl::StrCat("sandbox '", id, "' already exists in '", state_root, "'"));
  }
  if (err != 0) return ErrnoError(err, absl::StrCat("rename '", made, "' to '", dir, "'"));
  std::move(remove_made).Cancel();
  return lock;
}

// The state directory's sockets and log, which the sandbox process gets.
struct StateFiles {
  UniqueFd control;
  UniqueFd stdio;
  UniqueFd log;
};

absl::StatusOr<StateFiles> OpenStateFiles(const std::string& dir) {
  StateFiles files;
  ASSIGN_OR_RETURN(files.control,
                   ListenUnix(absl::StrCat(dir, "/", kControlSocketName), SOCK_STREAM));
  ASSIGN_OR_RETURN(files.stdio,
                   ListenUnix(absl::StrCat(dir, "/", kStdioSocketName), SOCK_SEQPACKET));
  std::string log_path = absl::StrCat(dir, "/", kLogName);
  files.log.reset(
      open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!files.log) return ErrnoError(errno, absl::StrCat("open '", log_path, "'"));
  return files;
}

// The sandbox process and its launcher place themselves in their cgroups
// before they run anything (Cgroup::OpenPlacement): in runtime mode the
// sandbox process joins the container's accounting hierarchies.
absl::StatusOr<SpawnedProcess> SpawnPlaced(SpawnRequest& request, const Cgroup* cgroup,
                                           bool supervisor_joins) {
  std::optional<Cgroup::Placement> placement;
  if (cgroup != nullptr) {
    request.cgroup_fd = cgroup->unified_fd();
    ASSIGN_OR_RETURN(placement, cgroup->OpenPlacement(supervisor_joins));
    for (const Cgroup::TasksFile& file : placement->sandbox) {
      request.sandbox_tasks.push_back({file.fd.get(), file.path});
    }
    if (request.launcher) {
      for (const Cgroup::TasksFile& file : placement->launcher) {
        request.launcher_tasks.push_back({file.fd.get(), file.path});
      }
      request.launcher_cgroup_fd = placement->launcher_unified.get();
    }
  }
  return SpawnSandboxProcess(request);
}

// Reads the sandbox's "ready" on `sync_fd`, or the error it reported; a
// What every spawn of a sandbox takes: the binary, the state files, the
// root's size and the sandbox's id maps.
SpawnRequest BaseSpawnRequest(const SandboxOptions& options, const StateFiles& files,
                              const specutils::WorkloadIds& workload) {
  SpawnRequest request;
  request.runsc_path = options.runsc_path;
  request.control_fd = files.control.get();
  request.log_fd = files.log.get();
  request.stdio_fd = files.stdio.get();
  request.root_tmpfs_size =
      options.root_tmpfs_size.empty() ? kDefaultRootTmpfsSize : options.root_tmpfs_size;
  request.uid_map = specutils::SandboxUidMap(workload.uids);
  request.gid_map = specutils::SandboxGidMap(workload.gids);
  return request;
}

// The record's part that every sandbox has from its creation: its id, its
// uid range and its cgroups (if any), and this build.
runsc::state::v1::SandboxRecord BaseRecord(const std::string& id, const UidRange& range,
                                           const std::string& ranges_dir, const Cgroup* cgroup) {
  runsc::state::v1::SandboxRecord record;
  record.set_id(id);
  record.set_range_slot(range.slot);
  record.set_range_base(range.host_base);
  record.set_range_token(range.token);
  record.set_ranges_dir(ranges_dir);
  if (cgroup != nullptr) {
    for (const std::string& path : cgroup->Paths()) record.add_cgroup_paths(path);
  }
  record.set_runsc_version(util::kVersion);
  return record;
}

// sandbox that sends neither in time, or another build's ready, is killed.
absl::StatusOr<util::SyncMessage> ReadReady(ChildProcess& process, int sync_fd,
                                            absl::string_view id, const std::string& runsc_path,
                                            absl::Duration timeout, bool start_main) {
  const absl::Time ready_deadline = absl::Now() + timeout;
  absl::StatusOr<util::SyncMessage> message;
  do {
    // An older runsc at runsc_path announces its launcher first: passed
    // over, so that its ready is refused below with the reason.
    message = util::ReadSyncMessage(sync_fd, ready_deadline - absl::Now());
  } while (message.ok() && message->type == util::SyncType::kLauncherReady);
  if (!message.ok()) {
    absl::StatusOr<ExitStatus> exit = process.KillAndWait();
    std::string how = exit.ok() ? exit->ToString() : std::string(exit.status().message());
    if (message.status().code() == absl::StatusCode::kDeadlineExceeded) {
      return absl::DeadlineExceededError(
          absl::StrCat("sandbox '", id, "' did not become ready within ",
                       absl::FormatDuration(timeout), "; killed it"));
    }
    return absl::InternalError(absl::StrCat("sandbox '", id, "' died during setup (", how,
                                            ") without reporting why; see its log"));
  }
  if (message->type == util::SyncType::kError) {
    // The main process's own failure reads as a Start call's would.
    if (message->stage == util::SetupStage::kStartMain) {
      return util::SyncTextToStatus(*message);
    }
    return util::Annotate(util::SyncErrorToStatus(*message), absl::StrCat("sandbox '", id, "'"));
  }
  if (message->type != util::SyncType::kReady) {
    return absl::InternalError(absl::StrCat("sandbox '", id, "' sent unexpected sync message type ",
                                            static_cast<uint32_t>(message->type)));
  }
  if (absl::string_view(message->text) != util::kReadyText) {
    (void)process.KillAndWait();
    return absl::FailedPreconditionError(
        absl::StrCat("sandbox '", id, "': the runsc binary at '", runsc_path,
                     "' is from another build: its ready says '", message->text,
                     "', this build's '", util::kReadyText, "'; it must not run workloads"));
  }
  if (start_main && message->pid <= 0) {
    (void)process.KillAndWait();
    return absl::InternalError(
        absl::StrCat("sandbox '", id, "' reported ready with no main process"));
  }
  return message;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Sandbox>> Sandbox::Create(const SandboxOptions& options) {
  RETURN_IF_ERROR(ValidateCreateOptions(options));
  const std::string dir = absl::StrCat(options.state_root, "/", options.id);
  // Held until we return (our first record is written long before), and
  // so until after a failed create's removal of the directory below; what
  // tells ReclaimUnrecorded that a directory without a record is still
  // being made.
  ASSIGN_OR_RETURN(UniqueFd creating, MakeStateDir(options.state_root, options.id, dir));
  // After the range's release (below), and only if it went: a record that
  // names a slot (once there is one) stays while the slot is taken, for the
  // next daemon.
  bool range_kept = false;
  bool recorded = false;
  absl::Cleanup remove_dir = [&dir, &range_kept, &recorded] {
    if (!(range_kept && recorded)) (void)RemoveStateDir(dir);
  };

  ASSIGN_OR_RETURN(StateFiles files, OpenStateFiles(dir));
  std::vector<int> main_fds = options.main_fds;
  ConsoleStdio console;
  if (options.start_main && main_fds.empty()) {
    ASSIGN_OR_RETURN(console, OpenConsoleStdio(absl::StrCat(dir, "/", kConsoleLogName)));
    main_fds = {console.in.get(), console.out.get(), console.out.get()};
  }

  runsc::boot::v1::BootConfig config;
  config.set_sandbox_id(options.id);
  config.set_exit_with_main(options.exit_with_main);
  const bool report_exit =
      options.report_main_exit && options.container.has_value() && !options.exit_with_main;
  config.set_report_main_exit(report_exit);
  config.set_control_filter(boot::ControlServerFilter());
  if (console.out) config.set_main_output_limit(options.console_log_limit);

  // A container gets a private uid range and its filesystem as detached,
  // idmapped mount trees.
  UidRangeAllocator ranges(options.ranges_dir);
  UidRange range;
  absl::Cleanup release_range = [&ranges, &range, &range_kept] {
    if (range.host_base != 0) range_kept = !ranges.Release(range).ok();
  };
  std::vector<UniqueFd> mounts;
  std::unique_ptr<Cgroup> cgroup;
  JoinedNamespaces joined;
  std::optional<runsc::boot::v1::ContainerConfig> container = options.container;
  if (container.has_value() && !options.notify_socket.empty()) {
    // The container's own notify socket, in a directory bound in.
    const std::string notify_dir = absl::StrCat(dir, "/", kNotifyDirName);
    if (mkdir(notify_dir.c_str(), 0755) != 0) {
      return ErrnoError(errno, absl::StrCat("mkdir '", notify_dir, "'"));
    }
    auto* m = container->add_mounts();
    m->set_destination(kContainerNotifyDir);
    m->set_type("bind");
    m->set_source(notify_dir);
    auto* env = container->mutable_process()->mutable_env();
    env->erase(
        std::remove_if(env->begin(), env->end(),
                       [](const std::string& kv) { return kv.rfind("NOTIFY_SOCKET=", 0) == 0; }),
        env->end());
    env->Add(absl::StrCat("NOTIFY_SOCKET=", kContainerNotifyDir, "/", kNotifySocketName));
  }
  if (container.has_value()) {
    ASSIGN_OR_RETURN(joined, OpenJoinedNamespaces(*container, &config));
  }
  specutils::WorkloadIds workload;
  if (container.has_value()) {
    ASSIGN_OR_RETURN(range, ranges.Allocate(options.id));
    workload = specutils::WorkloadIdsOf(*container, range.host_base);
    // The sandbox may not act in a namespace it does not own: the host
    // writes those sysctls (gids as the host's), and the hostname. Never in
    // the host's own namespaces, which belong to everyone.
    for (const auto& [fd, type] : joined.List()) {
      auto writes = specutils::SysctlWrites(container->sysctl(), type, workload.gids);
      const bool names = type == CLONE_NEWUTS &&
                         (!container->hostname().empty() || !container->domainname().empty());
      const bool host = IsHostNamespace(fd, type);
      if ((!writes.empty() || names) && host) {
        return absl::InvalidArgumentError(
            !writes.empty()
                ? absl::StrCat("linux.sysctl[\"",
                               absl::StrReplaceAll(writes[0].first, {{"/", "."}}),
                               "\"]: would change the host's own namespace, which "
                               "the container shares (linux.namespaces)")
                : absl::StrCat(container->hostname().empty() ? "domainname: '" : "hostname: '",
                               container->hostname().empty() ? container->domainname()
                                                             : container->hostname(),
                               "' would rename the host, whose UTS namespace the container "
                               "shares (linux.namespaces)"));
      }
      // Podman's network namespace (or a pod's), never the host's.
      if (type == CLONE_NEWNET && container->open_low_ports() && !host) {
        writes.push_back(specutils::kOpenLowPorts);
      }
      RETURN_IF_ERROR(WriteSysctlsIn(fd, type, writes));
      if (names) {
        RETURN_IF_ERROR(SetUtsNamesIn(fd, container->hostname(), container->domainname()));
      }
    }
    // The spec's path, or one named by id and range slot: unique host-wide,
    // whatever the state root.
    ASSIGN_OR_RETURN(cgroup,
                     Cgroup::Create(container->cgroups_path().empty()
                                        ? absl::StrCat("runsc/", options.id, ".", range.slot)
                                        : container->cgroups_path(),
                                    container->resources()));
  }
  // A first record, before anything runs (pid 0), as soon as the range and
  // cgroups exist (before the mount trees, the slow part): a daemon that
  // dies from here to the full record leaves its range, cgroups and
  // directory where a restarted one finds and reclaims them (the sandbox
  // process, if it was spawned, with its cgroups), and the id is free again.
  RETURN_IF_ERROR(
      sandbox::SaveRecord(dir, BaseRecord(options.id, range, options.ranges_dir, cgroup.get())));
  recorded = true;
  if (container.has_value()) {
    ASSIGN_OR_RETURN(mounts,
                     PrepareContainerMounts(*container, range, workload, *cgroup, joined,
                                            options.userns_cache, config.mutable_container()));
  }

  SpawnRequest request = BaseSpawnRequest(options, files, workload);
  for (const UniqueFd& fd : mounts) request.launcher_fds.push_back(fd.get());
  for (int fd : main_fds) {
    config.add_main_fds(util::kFirstMountFd + static_cast<int>(request.launcher_fds.size()));
    request.launcher_fds.push_back(fd);
  }
  request.loopback = !options.network_none && !config.network_joined();
  if (!config.uts_joined()) request.hostname = options.id;
  request.launcher = config.has_container();
  for (const auto& r : config.container().config().process().rlimits()) {
    request.hard_limits.emplace_back(r.resource(), r.hard());
  }
  config.set_network_on_socket(request.launcher && !config.network_joined());
  request.boot_config = config.SerializeAsString();
  request.joined_namespaces = joined.List();
  ASSIGN_OR_RETURN(SpawnedProcess spawned,
                   SpawnPlaced(request, cgroup.get(), options.exit_with_main));
  files = {};
  console = {};
  mounts.clear();

  if (cgroup != nullptr && options.exit_with_main) {
    // Runtime mode: the pid-file process is the container's, for the
    // shim's OOM watch and metrics. The OOM killer should still spare it
    // where the host lets us say so (this lowering needs CAP_SYS_RESOURCE;
    // without it the kernel's badness, which favours the large workload,
    // decides alone). Only now: the launcher, cloned before, keeps ours.
    (void)util::WriteKernelFile(absl::StrCat("/proc/", spawned.process.pid(), "/oom_score_adj"),
                                "-999");
  }
  // The record's file, made while the sandbox boots.
  PreparedRecord next_record = PreparedRecord::Prepare(dir);
  ASSIGN_OR_RETURN(util::SyncMessage message,
                   ReadReady(spawned.process, spawned.sync_fd.get(), options.id, options.runsc_path,
                             options.boot_timeout, options.start_main));
  // The sandbox closes its end right after "ready": once we see EOF its fd
  // set is final. One that reports its main's exit keeps it, and its fd set
  // is final at "ready".
  if (!report_exit) {
    absl::StatusOr<util::SyncMessage> eof =
        util::ReadSyncMessage(spawned.sync_fd.get(), options.boot_timeout);
    if (eof.ok() || eof.status().code() != absl::StatusCode::kUnavailable) {
      return absl::InternalError(
          absl::StrCat("sandbox '", options.id, "' kept its sync socket open after ready"));
    }
    spawned.sync_fd.reset();
  }
  runsc::state::v1::SandboxRecord record =
      BaseRecord(options.id, range, options.ranges_dir, cgroup.get());
  record.set_pid(spawned.process.pid());
  record.set_start_time(spawned.start_time);
  if (options.start_main) record.set_main_pid(message.pid);
  if (container.has_value()) *record.mutable_container() = *container;
  record.set_notify_socket(options.notify_socket);
  record.set_created_unix_nanos(absl::ToUnixNanos(absl::Now()));
  record.set_expires_unix_nanos(options.expires_unix_nanos);
  record.set_bundle(options.bundle);
  record.set_exits_with_main(options.exit_with_main);
  for (const auto& [k, v] : options.labels) (*record.mutable_labels())[k] = v;
  RETURN_IF_ERROR(std::move(next_record).Commit(record));
  std::move(remove_dir).Cancel();
  std::move(release_range).Cancel();
  if (options.state_lock != nullptr) *options.state_lock = std::move(creating);
  return std::unique_ptr<Sandbox>(new Sandbox(options.id, dir, options.ranges_dir,
                                              std::move(spawned.process), range, std::move(cgroup),
                                              std::move(record), std::move(spawned.sync_fd)));
}

absl::Status Sandbox::CheckAssignable(const SandboxOptions& options) {
  auto no = [](absl::string_view why) {
    return absl::FailedPreconditionError(absl::StrCat("no warm sandbox can take it: ", why));
  };
  if (!options.container.has_value()) return no("it has no container");
  const runsc::boot::v1::ContainerConfig& c = *options.container;
  if (!c.network_ns_path().empty() || !c.ipc_ns_path().empty() || !c.uts_ns_path().empty()) {
    return no("it joins namespaces by path, which are entered at the spawn");
  }
  if (c.uid_mappings_size() > 0 || c.gid_mappings_size() > 0) {
    return no("its id mappings shape the sandbox's user namespace");
  }
  if (!c.cgroups_path().empty()) return no("its cgroups path names the sandbox's cgroups");
  if (options.exit_with_main || !options.report_main_exit || !options.notify_socket.empty()) {
    return no("it is not a daemon's sandbox");
  }
  if (options.network_none) return no("its network mode is 'none'");
  // A hard limit over ours is raised for a sandbox at its spawn (the
  // workload, in a user namespace, can only lower its own): a warm
  // sandbox was spawned with ours.
  for (const auto& r : c.process().rlimits()) {
    struct rlimit ours;
    if (getrlimit(static_cast<__rlimit_resource>(r.resource()), &ours) != 0 ||
        !HardLimitCovers(ours.rlim_max, r.hard())) {
      return no(absl::StrCat("its rlimit ", r.resource(), " is over the daemon's hard limit"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Sandbox>> Sandbox::CreateWarm(const SandboxOptions& options) {
  // Its range first: its slot names it, host-wide.
  UidRangeAllocator ranges(options.ranges_dir);
  ASSIGN_OR_RETURN(UidRange range, ranges.Allocate(kWarmPrefix));
  const std::string id = absl::StrCat(kWarmPrefix, range.slot);
  const std::string dir = absl::StrCat(options.state_root, "/", id);
  // The range is released first, and the directory removed only if it
  // was: a record that names a slot stays while the slot is taken.
  bool made_dir = false;
  absl::Cleanup release = [&ranges, &range, &dir, &made_dir] {
    if (ranges.Release(range).ok() && made_dir) (void)RemoveStateDir(dir);
  };
  RETURN_IF_ERROR(MakeStateDir(options.state_root, id, dir).status());
  made_dir = true;
  // A first record, its range alone, before anything else is made: a
  // daemon that dies from here on leaves its range where a restarted one
  // finds it (ReclaimAside), and its cgroups, named by its slot, too.
  runsc::state::v1::SandboxRecord record = BaseRecord(id, range, options.ranges_dir, nullptr);
  RETURN_IF_ERROR(sandbox::SaveRecord(dir, record));
  ASSIGN_OR_RETURN(StateFiles files, OpenStateFiles(dir));
  ASSIGN_OR_RETURN(std::unique_ptr<Cgroup> cgroup,
                   Cgroup::Create(absl::StrCat("runsc/warm.", range.slot), {}));
  // With its cgroups; the process is recorded once it is up.
  record = BaseRecord(id, range, options.ranges_dir, cgroup.get());
  RETURN_IF_ERROR(sandbox::SaveRecord(dir, record));
  // The launcher's socket to us, on which its container will come.
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    return ErrnoError(errno, "socketpair for a warm sandbox's launcher");
  }
  UniqueFd host(pair[0]);
  UniqueFd launcher_end(pair[1]);

  runsc::boot::v1::BootConfig config;
  config.set_sandbox_id(id);
  config.set_report_main_exit(true);
  config.set_control_filter(boot::ControlServerFilter());
  config.set_container_on_socket(true);
  config.set_network_on_socket(true);
  const specutils::WorkloadIds workload =
      specutils::WorkloadIdsOf(runsc::boot::v1::ContainerConfig(), range.host_base);
  SpawnRequest request = BaseSpawnRequest(options, files, workload);
  request.launcher = true;
  request.launcher_fds = {launcher_end.get()};
  request.loopback = true;
  request.hostname = id;
  request.boot_config = config.SerializeAsString();
  ASSIGN_OR_RETURN(SpawnedProcess spawned,
                   SpawnPlaced(request, cgroup.get(), /*supervisor_joins=*/false));
  files = {};
  launcher_end.reset();
  RETURN_IF_ERROR(ReadReady(spawned.process, spawned.sync_fd.get(), id, options.runsc_path,
                            options.boot_timeout, /*start_main=*/false)
                      .status());
  // The idmap namespace its container's trees will want, made now.
  RETURN_IF_ERROR(PrewarmIdmap(range, options.userns_cache));
  // Its process, so that a restarted daemon can kill it if it still runs.
  record.set_pid(spawned.process.pid());
  record.set_start_time(spawned.start_time);
  RETURN_IF_ERROR(sandbox::SaveRecord(dir, record));
  std::move(release).Cancel();
  auto box = std::unique_ptr<Sandbox>(
      new Sandbox(id, dir, options.ranges_dir, std::move(spawned.process), range, std::move(cgroup),
                  std::move(record), std::move(spawned.sync_fd)));
  box->warm_host_ = std::move(host);
  return box;
}

absl::Status Sandbox::Assign(const SandboxOptions& options) {
  if (!warm_host_) {
    return absl::FailedPreconditionError(absl::StrCat("sandbox '", id_, "' is not warm"));
  }
  RETURN_IF_ERROR(ValidateCreateOptions(options));
  RETURN_IF_ERROR(CheckAssignable(options));
  const runsc::boot::v1::ContainerConfig& container = *options.container;
  const specutils::WorkloadIds workload = specutils::WorkloadIdsOf(container, uid_range_.host_base);
  runsc::boot::v1::BootConfig config;
  config.set_sandbox_id(options.id);
  config.set_report_main_exit(true);
  ASSIGN_OR_RETURN(
      std::vector<UniqueFd> mounts,
      PrepareContainerMounts(container, uid_range_, workload, *cgroup_, JoinedNamespaces(),
                             options.userns_cache, config.mutable_container()));
  // One packet carries it all (a cold launcher reads a memfd of up to
  // 1 MiB and takes up to 56 fds): what does not fit goes cold.
  const size_t main_fd_count =
      options.start_main && options.main_fds.empty() ? 3 : options.main_fds.size();
  if (mounts.size() + main_fd_count > static_cast<size_t>(util::kMaxPacketFds) ||
      config.ByteSizeLong() > util::kMaxPacketSize / 2) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no warm sandbox can take it: its container (", config.ByteSizeLong(), " bytes, ",
        mounts.size() + main_fd_count, " fds) does not fit the launcher's one packet"));
  }
  const std::string dir = absl::StrCat(options.state_root, "/", options.id);
  // Its state, sockets and all, takes the request's id: the control socket
  // the supervisor serves is already listening, wherever its path is.
  if (syscall(SYS_renameat2, AT_FDCWD, state_dir_.c_str(), AT_FDCWD, dir.c_str(),
              RENAME_NOREPLACE) != 0) {
    if (errno == EEXIST) {
      return absl::AlreadyExistsError(
          absl::StrCat("sandbox '", options.id, "' already exists in '", options.state_root, "'"));
    }
    return ErrnoError(errno, absl::StrCat("rename '", state_dir_, "' to '", dir, "'"));
  }
  // From here a failure spends this sandbox (it is no longer warm); until
  // here nothing of it has changed.
  UniqueFd host = std::move(warm_host_);
  state_dir_ = dir;
  id_ = options.id;
  std::vector<int> main_fds = options.main_fds;
  ConsoleStdio console;
  if (options.start_main && main_fds.empty()) {
    ASSIGN_OR_RETURN(console, OpenConsoleStdio(console_log_path()));
    main_fds = {console.in.get(), console.out.get(), console.out.get()};
    config.set_main_output_limit(options.console_log_limit);
  }
  if (container.has_resources()) RETURN_IF_ERROR(cgroup_->Update(container.resources()));
  std::vector<int> fds;
  for (const UniqueFd& fd : mounts) fds.push_back(fd.get());
  for (int fd : main_fds) {
    config.add_main_fds(util::kFirstMountFd + static_cast<int>(fds.size()));
    fds.push_back(fd);
  }
  runsc::launcher::v1::ContainerAssignment assignment;
  *assignment.mutable_config() = std::move(config);
  RETURN_IF_ERROR(util::Annotate(util::SendPacket(host.get(), assignment, fds),
                                 absl::StrCat("assign sandbox '", options.id, "'")));
  host.reset();
  mounts.clear();
  console = {};
  PreparedRecord next_record = PreparedRecord::Prepare(state_dir_);
  ASSIGN_OR_RETURN(util::SyncMessage message,
                   ReadReady(process_, exit_reports_.get(), options.id, options.runsc_path,
                             options.boot_timeout, options.start_main));
  runsc::state::v1::SandboxRecord record = Record();
  record.set_id(options.id);
  if (options.start_main) record.set_main_pid(message.pid);
  *record.mutable_container() = container;
  record.set_created_unix_nanos(absl::ToUnixNanos(absl::Now()));
  record.set_expires_unix_nanos(options.expires_unix_nanos);
  record.set_bundle(options.bundle);
  for (const auto& [k, v] : options.labels) (*record.mutable_labels())[k] = v;
  return SaveRecord(record, &next_record);
}

}  // namespace runsc::sandbox
