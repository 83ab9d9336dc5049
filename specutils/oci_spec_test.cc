#include "specutils/oci_spec.h"

#include <errno.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace runsc::specutils {
namespace {

using ::testing::HasSubstr;

std::string RuncSpecJson() {
  std::ifstream in("specutils/testdata/runc_spec_config.json");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

runsc::oci::v1::Spec RuncSpec() {
  auto spec = ParseSpecJson(RuncSpecJson());
  EXPECT_TRUE(spec.ok()) << spec.status();
  return *spec;
}

// Converts and expects INVALID_ARGUMENT whose message contains `expected`.
void ExpectInvalid(const runsc::oci::v1::Spec& spec, const std::string& expected) {
  auto config = ToContainerConfig(spec, "/bundle");
  ASSERT_FALSE(config.ok()) << "expected an error containing: " << expected;
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(config.status().message()), HasSubstr(expected));
}

TEST(OciSpecTest, ConvertsRuncSpecOutput) {
  auto config = ToContainerConfig(RuncSpec(), "/bundle");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->rootfs(), "/bundle/rootfs");
  EXPECT_TRUE(config->readonly_root());
  EXPECT_EQ(config->hostname(), "runc");
  const auto& p = config->process();
  ASSERT_EQ(p.args_size(), 1);
  EXPECT_EQ(p.args(0), "sh");
  EXPECT_EQ(p.cwd(), "/");
  EXPECT_TRUE(p.terminal());
  EXPECT_TRUE(p.no_new_privileges());
  const uint64_t want = (1ull << CAP_AUDIT_WRITE) | (1ull << CAP_KILL) |
                        (1ull << CAP_NET_BIND_SERVICE);
  EXPECT_EQ(p.capabilities().bounding(), want);
  EXPECT_EQ(p.capabilities().effective(), want);
  EXPECT_EQ(p.capabilities().permitted(), want);
  EXPECT_EQ(p.capabilities().ambient(), want);
  EXPECT_EQ(p.capabilities().inheritable(), 0u);
  ASSERT_EQ(p.rlimits_size(), 1);
  EXPECT_EQ(p.rlimits(0).resource(), RLIMIT_NOFILE);
  EXPECT_EQ(p.rlimits(0).soft(), 1024u);
  // No seccomp section: the default profile, which denies keyctl with EPERM.
  EXPECT_EQ(p.seccomp().default_action(), SCMP_ACT_ALLOW);
  bool keyctl_denied = false;
  for (const auto& rule : p.seccomp().rules()) {
    if (rule.syscall() == seccomp_syscall_resolve_name("keyctl")) {
      keyctl_denied = rule.action() == SCMP_ACT_ERRNO(EPERM);
    }
  }
  EXPECT_TRUE(keyctl_denied);
  ASSERT_EQ(config->mounts_size(), 7);
  EXPECT_EQ(config->mounts(0).destination(), "/proc");
  EXPECT_EQ(config->mounts(0).type(), "proc");
  EXPECT_EQ(config->mounts(1).destination(), "/dev");
  EXPECT_EQ(config->mounts(1).flags(), MS_NOSUID | MS_STRICTATIME);
  EXPECT_EQ(config->mounts(1).data(), "mode=755,size=65536k");
  EXPECT_GT(config->masked_paths_size(), 5);
  EXPECT_GT(config->readonly_paths_size(), 3);
}

// As runc sets them one by one: a key given twice is there once, at its
// first place, with its last value.
TEST(OciSpecTest, ADuplicateEnvKeyKeepsItsLastValueAtItsFirstPlace) {
  auto spec = RuncSpec();
  spec.mutable_process()->clear_env();
  for (const char* kv : {"PATH=/first", "A=1", "PATH=/last", "B=2", "A=3"}) {
    spec.mutable_process()->add_env(kv);
  }
  auto config = ToContainerConfig(spec, "/bundle");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_THAT(config->process().env(), ::testing::ElementsAre("PATH=/last", "A=3", "B=2"));
}

TEST(OciSpecTest, RelativeCwdNamesTheField) {
  auto spec = RuncSpec();
  spec.mutable_process()->set_cwd("tmp");
  ExpectInvalid(spec, "process.cwd: must be an absolute path, got 'tmp'");
}

TEST(OciSpecTest, EmptyArgsNamesTheField) {
  auto spec = RuncSpec();
  spec.mutable_process()->clear_args();
  ExpectInvalid(spec, "process.args: must not be empty");
}

TEST(OciSpecTest, UnknownCapabilityNamesTheElement) {
  auto spec = RuncSpec();
  spec.mutable_process()->mutable_capabilities()->add_permitted("CAP_TELEPORT");
  ExpectInvalid(spec,
                "process.capabilities.permitted[3]: unknown capability 'CAP_TELEPORT'");
}

TEST(OciSpecTest, BadSeccompActionNamesTheRule) {
  auto spec = RuncSpec();
  auto* seccomp = spec.mutable_linux()->mutable_seccomp();
  seccomp->set_default_action("SCMP_ACT_ALLOW");
  auto* ok = seccomp->add_syscalls();
  ok->add_names("getpid");
  ok->set_action("SCMP_ACT_ERRNO");
  auto* bad = seccomp->add_syscalls();
  bad->add_names("keyctl");
  bad->set_action("SCMP_ACT_EXPLODE");
  ExpectInvalid(spec, "linux.seccomp.syscalls[1].action: unknown action 'SCMP_ACT_EXPLODE'");
}

TEST(OciSpecTest, SeccompRulesAreCompiled) {
  auto spec = RuncSpec();
  auto* seccomp = spec.mutable_linux()->mutable_seccomp();
  seccomp->set_default_action("SCMP_ACT_ERRNO");
  seccomp->add_architectures("SCMP_ARCH_X86_64");
  seccomp->add_architectures("SCMP_ARCH_X86");
  auto* allow = seccomp->add_syscalls();
  allow->add_names("read");
  allow->add_names("no_such_syscall_anywhere");
  allow->set_action("SCMP_ACT_ALLOW");
  auto* personality = seccomp->add_syscalls();
  personality->add_names("personality");
  personality->set_action("SCMP_ACT_ERRNO");
  personality->set_errno_ret(EACCES);
  auto* arg = personality->add_args();
  arg->set_index(0);
  arg->set_value(0xffffffff);
  arg->set_op("SCMP_CMP_NE");
  auto config = ToContainerConfig(spec, "/bundle");
  ASSERT_TRUE(config.ok()) << config.status();
  const auto& program = config->process().seccomp();
  EXPECT_EQ(program.default_action(), SCMP_ACT_ERRNO(EPERM));
  ASSERT_EQ(program.architectures_size(), 1);  // native x86_64 is implicit
  EXPECT_EQ(program.architectures(0), SCMP_ARCH_X86);
  ASSERT_EQ(program.rules_size(), 2);  // the unknown name is skipped
  EXPECT_EQ(program.rules(0).syscall(), seccomp_syscall_resolve_name("read"));
  EXPECT_EQ(program.rules(1).action(), SCMP_ACT_ERRNO(EACCES));
  ASSERT_EQ(program.rules(1).conditions_size(), 1);
  EXPECT_EQ(program.rules(1).conditions(0).op(), static_cast<uint32_t>(SCMP_CMP_NE));
}

// The spec's filter flags were checked and dropped: a profile asking for
// its actions to be logged was loaded without SECCOMP_FILTER_FLAG_LOG.
TEST(OciSpecTest, SeccompFlagsReachTheProgramAndAListenerIsRefused) {
  auto spec = RuncSpec();
  auto* seccomp = spec.mutable_linux()->mutable_seccomp();
  seccomp->set_default_action("SCMP_ACT_ALLOW");
  for (const char* flag :
       {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_TSYNC"}) {
    seccomp->add_flags(flag);
  }
  auto config = ToContainerConfig(spec, "/bundle");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->process().seccomp().filter_flags(),
            static_cast<uint32_t>(SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW));
  seccomp->set_listener_path("/run/agent.sock");
  ExpectInvalid(spec, "linux.seccomp.listenerPath: runsc has no seccomp notify");
}

TEST(OciSpecTest, BadSeccompOperatorAndIndex) {
  auto spec = RuncSpec();
  auto* seccomp = spec.mutable_linux()->mutable_seccomp();
  seccomp->set_default_action("SCMP_ACT_ALLOW");
  auto* rule = seccomp->add_syscalls();
  rule->add_names("kill");
  rule->set_action("SCMP_ACT_ERRNO");
  rule->add_args()->set_op("SCMP_CMP_ROUGHLY");
  ExpectInvalid(spec, "linux.seccomp.syscalls[0].args[0].op: unknown operator");
  rule->mutable_args(0)->set_op("SCMP_CMP_EQ");
  rule->mutable_args(0)->set_index(6);
  ExpectInvalid(spec, "linux.seccomp.syscalls[0].args[0].index: 6 is not an argument index");
}

TEST(OciSpecTest, OtherFieldErrors) {
  {
    auto spec = RuncSpec();
    spec.mutable_process()->add_env("NOEQUALS");
    ExpectInvalid(spec, "process.env[2]: 'NOEQUALS' is not KEY=VALUE");
  }
  {
    auto spec = RuncSpec();
    spec.mutable_process()->mutable_rlimits(0)->set_type("RLIMIT_BANANAS");
    ExpectInvalid(spec, "process.rlimits[0].type: unknown rlimit 'RLIMIT_BANANAS'");
  }
  {
    auto spec = RuncSpec();
    spec.mutable_process()->mutable_rlimits(0)->set_soft(5000);
    ExpectInvalid(spec, "process.rlimits[0]: soft limit 5000 exceeds hard limit 1024");
  }
  {
    auto spec = RuncSpec();
    spec.set_oci_version("0.9");
    ExpectInvalid(spec, "ociVersion: unsupported version '0.9'");
  }
  {
    auto spec = RuncSpec();
    spec.mutable_mounts(2)->set_destination("dev/pts");
    ExpectInvalid(spec, "mounts[2].destination: must be an absolute path");
  }
  {
    // A copy-up is a tmpfs's (mounts[1] is runc's /dev, a tmpfs; [2] devpts).
    auto spec = RuncSpec();
    spec.mutable_mounts(1)->add_options("tmpcopyup");
    auto config = ToContainerConfig(spec, "/bundle");
    ASSERT_TRUE(config.ok()) << config.status();
    EXPECT_TRUE(config->mounts(1).copy_up());
    EXPECT_FALSE(config->mounts(2).copy_up());
    spec.mutable_mounts(2)->add_options("tmpcopyup");
    ExpectInvalid(spec, "mounts[2].options: tmpcopyup is for a tmpfs");
  }
  {
    // An id the container's user namespace does not map: setresuid's
    // EINVAL at the start, before.
    auto spec = RuncSpec();
    spec.mutable_process()->mutable_user()->set_uid(1000000);
    ExpectInvalid(spec, "process.user.uid: 1000000 is not an id of the container's (0-65535)");
    spec = RuncSpec();
    spec.mutable_process()->mutable_user()->add_additional_gids(70000);
    ExpectInvalid(
        spec, "process.user.additionalGids[0]: 70000 is not an id of the container's (0-65535)");
  }
  {
    // Domainname: as a hostname.
    auto spec = RuncSpec();
    spec.set_domainname(std::string(65, 'd'));
    ExpectInvalid(spec, "domainname: longer than 64 characters");
  }
  {
    auto spec = RuncSpec();
    spec.mutable_linux()->mutable_resources()->mutable_memory()->set_limit(-5);
    ExpectInvalid(spec, "linux.resources.memory.limit: -5");
  }
  {
    // Below the floor the launcher's start needs (its clone's charges).
    auto spec = RuncSpec();
    spec.mutable_linux()->mutable_resources()->mutable_memory()->set_limit(4096);
    ExpectInvalid(spec, "linux.resources.memory.limit: 4096 is below the least limit");
    spec.mutable_linux()->mutable_resources()->mutable_memory()->set_limit(kMinMemoryLimitBytes);
    auto config = ToContainerConfig(spec, "/bundle");
    ASSERT_TRUE(config.ok()) << config.status();
    EXPECT_EQ(config->resources().memory_max(), kMinMemoryLimitBytes);
  }
  {
    // The kernel's ranges, by field rather than by a cgroup file's EINVAL;
    // swap only with memory, as runc has it.
    auto spec = RuncSpec();
    spec.mutable_linux()->mutable_resources()->mutable_pids()->set_limit(kMaxPidsLimit + 1);
    ExpectInvalid(spec, "linux.resources.pids.limit: 4194305 is over the kernel's most");
    spec = RuncSpec();
    spec.mutable_linux()->mutable_resources()->mutable_cpu()->set_quota(kMaxCpuQuotaUs + 1);
    ExpectInvalid(spec, "linux.resources.cpu.quota: 17592186044416 is outside");
    spec = RuncSpec();
    spec.mutable_linux()->mutable_resources()->mutable_memory()->set_swap(64 << 20);
    ExpectInvalid(spec, "linux.resources.memory.swap: needs linux.resources.memory.limit too");
    spec.mutable_linux()->mutable_resources()->mutable_memory()->set_limit(32 << 20);
    {
      auto bad = spec;
      bad.mutable_process()->mutable_user()->set_gid(4294967295u);
      ExpectInvalid(bad, "process.user.gid: 4294967295 is (uid_t)-1");
    }
    auto config = ToContainerConfig(spec, "/bundle");
    ASSERT_TRUE(config.ok()) << config.status();
    EXPECT_EQ(config->resources().memory_swap(), 64 << 20);
  }
  {
    auto spec = RuncSpec();
    spec.set_hostname("bad/host");
    ExpectInvalid(spec, "hostname: 'bad/host'");
  }
  {
    auto spec = RuncSpec();
    spec.clear_process();
    ExpectInvalid(spec, "process: must be set");
  }
}

TEST(OciSpecTest, MalformedJsonAndWrongTypesAreRejected) {
  auto bad = ParseSpecJson("{\"ociVersion\": \"1.0.2\", \"process\": {");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("config.json"));
  auto wrong_type = ParseSpecJson(R"({"process": {"user": {"uid": "root"}}})");
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_THAT(std::string(wrong_type.status().message()),
              HasSubstr("config.json: process.user.uid: expected an integer, got root "
                        "(line 1, column 30)"));
  auto unknown_key = ParseSpecJson(R"({"ociVersion": "1.0.2", "vendorExtension": 1})");
  EXPECT_TRUE(unknown_key.ok()) << unknown_key.status();
}

TEST(OciSpecTest, NetworkIpcAndUtsNamespacesAreJoinedByPathOthersAreRefused) {
  auto spec = RuncSpec();
  auto* net = spec.mutable_linux()->add_namespaces();
  net->set_type("network");
  net->set_path("/run/netns/pod");
  auto config = ToContainerConfig(spec, "/bundle");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->network_ns_path(), "/run/netns/pod");
  net->set_path("netns/pod");
  ExpectInvalid(spec, "].path: must be an absolute path, got 'netns/pod'");
  net->set_path("/run/netns/pod");
  auto* ipc = spec.mutable_linux()->add_namespaces();
  ipc->set_type("ipc");
  ipc->set_path("/proc/1/ns/ipc");
  auto* uts = spec.mutable_linux()->add_namespaces();
  uts->set_type("uts");
  uts->set_path("/proc/1/ns/uts");
  config = ToContainerConfig(spec, "/bundle");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->ipc_ns_path(), "/proc/1/ns/ipc");
  EXPECT_EQ(config->uts_ns_path(), "/proc/1/ns/uts");
  auto* pid = spec.mutable_linux()->add_namespaces();
  pid->set_type("pid");
  pid->set_path("/proc/1/ns/pid");
  ExpectInvalid(spec, "joining a pid namespace by path is not supported (network, ipc and uts are)");
}

// runc shares the runtime's own namespace of a type the spec leaves out;
// the config says which, for the CLI and the API to decide.
TEST(OciSpecTest, TheNamespacesTheSpecLeavesOutAreNamed) {
  auto spec = RuncSpec();
  auto config = ToContainerConfig(spec, "/bundle");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->unlisted_namespaces().empty());
  spec.mutable_linux()->clear_namespaces();
  spec.mutable_linux()->add_namespaces()->set_type("uts");
  config = ToContainerConfig(spec, "/bundle");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_THAT(config->unlisted_namespaces(), ::testing::ElementsAre("pid", "network", "ipc"));
}

TEST(OciSpecTest, DevicesAreCarriedAndChecked) {
  // As podman writes `--device /dev/fuse` (fileMode 0666, uid and gid 0).
  std::string json = RuncSpecJson();
  const std::string linux_key = "\"linux\": {";
  const size_t at = json.find(linux_key);
  ASSERT_NE(at, std::string::npos);
  json.insert(at + linux_key.size(),
              R"("devices": [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229,
                              "fileMode": 438, "uid": 0, "gid": 0},
                             {"path": "/dev/./loop7", "type": "b", "major": 7, "minor": 7}],)");
  auto spec = ParseSpecJson(json);
  ASSERT_TRUE(spec.ok()) << spec.status();
  // runc's spec denies every device; podman allows each it gives.
  auto* rules = spec->mutable_linux()->mutable_resources()->mutable_devices();
  auto rule = [&](bool allow, const std::string& type, int64_t major, int64_t minor,
                  const std::string& access) {
    auto* r = rules->Add();
    r->set_allow(allow);
    r->set_type(type);
    if (major >= 0) r->set_major(major);
    if (minor >= 0) r->set_minor(minor);
    r->set_access(access);
  };
  ASSERT_EQ(rules->size(), 1);
  ExpectInvalid(*spec, "they do not let linux.devices[0] ('/dev/fuse') be read and written");
  rule(true, "c", 10, 229, "rwm");
  rule(true, "b", 7, 7, "rwm");
  auto config = ToContainerConfig(*spec, "/bundle");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->devices_size(), 2);
  EXPECT_EQ(config->devices(0).path(), "/dev/fuse");
  EXPECT_EQ(config->devices(0).type(), S_IFCHR);
  EXPECT_EQ(config->devices(0).major(), 10u);
  EXPECT_EQ(config->devices(0).minor(), 229u);
  EXPECT_EQ(config->devices(0).file_mode(), 0666u);
  EXPECT_EQ(config->devices(1).path(), "/dev/loop7");
  EXPECT_EQ(config->devices(1).type(), S_IFBLK);
  EXPECT_EQ(config->devices(1).file_mode(), 0666u);  // runc's default

  auto* d = spec->mutable_linux()->mutable_devices(1);
  d->set_file_mode(S_IFBLK | 0640);  // the type's bits go
  d->set_uid(5);
  d->set_gid(6);
  config = ToContainerConfig(*spec, "/bundle");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->devices(1).file_mode(), 0640u);
  EXPECT_EQ(config->devices(1).uid(), 5u);
  EXPECT_EQ(config->devices(1).gid(), 6u);
  d->set_type("p");
  config = ToContainerConfig(*spec, "/bundle");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->devices(1).type(), S_IFIFO);
  d->set_type("x");
  ExpectInvalid(*spec, "linux.devices[1].type: 'x' is not c, u, b or p");
  d->set_type("b");

  // The device cgroup's rules as runc reads them (device_rules_test has
  // the rest): read-only, docker's --device X:r, is refused, not given
  // whole.
  rules->Clear();
  rule(false, "", -1, -1, "rwm");
  rule(true, "c", 10, 229, "rwm");
  rule(true, "b", 7, 7, "r");
  ExpectInvalid(*spec,
                "linux.resources.devices: they do not let linux.devices[1] ('/dev/loop7') be read "
                "and written: runsc gives a device whole or refuses it");
  rules->Clear();  // runc's own allowances alone, which /dev/fuse is not among
  ExpectInvalid(*spec, "they do not let linux.devices[0] ('/dev/fuse')");
  rule(true, "", -1, -1, "rwm");  // --privileged's one rule
  ASSERT_TRUE(ToContainerConfig(*spec, "/bundle").ok());
  rule(true, "c", 10, 229, "");  // runc refuses an empty access
  ExpectInvalid(*spec, "linux.resources.devices[1].access: '' is not a set of r, w and m");
  rules->RemoveLast();
  d->set_type("u");
  d->set_path("dev/loop7");
  ExpectInvalid(*spec, "linux.devices[1].path: must be an absolute path");
  d->set_path("/dev/loop7");
  d->set_major(4096);
  ExpectInvalid(*spec, "linux.devices[1].major: 4096 is not a device major");
  d->set_major(7);
  d->set_minor(-1);
  ExpectInvalid(*spec, "linux.devices[1].minor: -1 is not a device minor");
  d->set_minor(1 << 20);
  ExpectInvalid(*spec, "linux.devices[1].minor: 1048576 is not a device minor");
}

TEST(OciSpecTest, IdMappingsAreCarriedAndChecked) {
  auto spec = RuncSpec();
  auto config = ToContainerConfig(spec, "/bundle");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->uid_mappings().empty());
  // No mappings: the private range at the base the sandbox allocates.
  EXPECT_EQ(FormatIdMap(WorkloadIdsOf(*config, 1u << 30).uids),
            "0 1073741824 65536\n");

  auto add = [](auto* list, uint32_t c, uint32_t h, uint32_t n) {
    auto* m = list->Add();
    m->set_container_id(c);
    m->set_host_id(h);
    m->set_size(n);
  };
  add(spec.mutable_linux()->mutable_uid_mappings(), 0, 200000, 65536);
  ExpectInvalid(spec, "linux.gidMappings: must be given along with the other");
  add(spec.mutable_linux()->mutable_gid_mappings(), 0, 300000, 1000);
  add(spec.mutable_linux()->mutable_gid_mappings(), 1000, 5000, 1);
  config = ToContainerConfig(spec, "/bundle");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(FormatIdMap(WorkloadIdsOf(*config, 1u << 30).uids), "0 200000 65536\n");
  EXPECT_EQ(FormatIdMap(WorkloadIdsOf(*config, 1u << 30).gids),
            "0 300000 1000\n1000 5000 1\n");

  add(spec.mutable_linux()->mutable_gid_mappings(), 2000, 65534, 1);
  ExpectInvalid(spec, "linux.gidMappings[2]: host id 65534 belongs to the sandbox's supervisor");
  spec.mutable_linux()->mutable_gid_mappings()->RemoveLast();
  add(spec.mutable_linux()->mutable_gid_mappings(), 500, 9000, 1);
  ExpectInvalid(spec, "linux.gidMappings: id map lines 0 and 2 overlap inside the namespace");
}

TEST(OciSpecTest, CgroupsPathIsCleanAndUnderTheRoot) {
  auto spec = RuncSpec();
  for (const auto& [given, want] : std::vector<std::pair<std::string, std::string>>{
           {"/libpod_parent/libpod-abc", "libpod_parent/libpod-abc"},
           {"default/ctr//", "default/ctr"},
           {"", ""}}) {
    spec.mutable_linux()->set_cgroups_path(given);
    auto config = ToContainerConfig(spec, "/bundle");
    ASSERT_TRUE(config.ok()) << config.status();
    EXPECT_EQ(config->cgroups_path(), want) << given;
  }
  spec.mutable_linux()->set_cgroups_path("/");
  ExpectInvalid(spec, "linux.cgroupsPath: '/' names the root cgroup");
  spec.mutable_linux()->set_cgroups_path("/x/./y");
  ExpectInvalid(spec, "has a '.' or '..' component");
  spec.mutable_linux()->set_cgroups_path("/runsc/other.3");
  ExpectInvalid(spec, "is under runsc's own cgroups");
  spec.mutable_linux()->set_cgroups_path("kubepods.slice:cri-containerd:abc");
  ExpectInvalid(spec, "is systemd's slice:prefix:name form");
}

TEST(OciSpecTest, IdMappingsReadTheSpecsOwnKeys) {
  // The spec spells them containerID and hostID, not proto3's default.
  auto spec = ParseSpecJson(R"({"ociVersion": "1.0.2", "linux": {
      "uidMappings": [{"containerID": 0, "hostID": 200000, "size": 65536}],
      "gidMappings": [{"containerID": 0, "hostID": 300000, "size": 10}]}})");
  ASSERT_TRUE(spec.ok()) << spec.status();
  ASSERT_EQ(spec->linux().uid_mappings_size(), 1);
  EXPECT_EQ(spec->linux().uid_mappings(0).host_id(), 200000u);
  EXPECT_EQ(spec->linux().gid_mappings(0).host_id(), 300000u);
  EXPECT_EQ(spec->linux().gid_mappings(0).size(), 10u);
}

TEST(OciSpecTest, SchedulerIoPriorityAndPersonality) {
  auto spec = RuncSpec();
  auto* sched = spec.mutable_process()->mutable_scheduler();
  sched->set_policy("SCHED_BATCH");
  sched->set_nice(7);
  sched->add_flags("SCHED_FLAG_RESET_ON_FORK");
  spec.mutable_process()->mutable_io_priority()->set_class_("IOPRIO_CLASS_BE");
  spec.mutable_process()->mutable_io_priority()->set_priority(6);
  spec.mutable_linux()->mutable_personality()->set_domain("LINUX32");
  auto config = ToContainerConfig(spec, "/bundle");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->process().scheduler().set());
  EXPECT_EQ(config->process().scheduler().policy(), 3u);
  EXPECT_EQ(config->process().scheduler().nice(), 7);
  EXPECT_EQ(config->process().scheduler().flags(), 1u);
  EXPECT_EQ(config->process().io_priority(), (2u << 13) | 6u);
  EXPECT_EQ(config->process().personality(), 8u);

  sched->set_policy("SCHED_FIFO");
  ExpectInvalid(spec, "process.scheduler.priority: 0 is outside 1..99");
  sched->set_policy("SCHED_FAST");
  ExpectInvalid(spec, "process.scheduler.policy: unknown policy 'SCHED_FAST'");
  sched->set_policy("SCHED_OTHER");
  sched->set_nice(40);
  ExpectInvalid(spec, "process.scheduler.nice: 40 is outside -20..19");
  sched->set_nice(0);
  spec.mutable_process()->mutable_io_priority()->set_class_("IOPRIO_CLASS_URGENT");
  ExpectInvalid(spec, "process.ioPriority.class: unknown class 'IOPRIO_CLASS_URGENT'");
  spec.mutable_process()->clear_io_priority();
  spec.mutable_linux()->mutable_personality()->set_domain("SVR4");
  ExpectInvalid(spec, "linux.personality.domain: 'SVR4' is not LINUX or LINUX32");
}

TEST(OciSpecTest, HooksAreCarriedAndChecked) {
  auto spec = RuncSpec();
  auto* hook = spec.mutable_hooks()->add_create_container();
  hook->set_path("/usr/bin/hook");
  hook->add_args("hook");
  hook->add_args("--flag");
  hook->add_env("A=b");
  hook->set_timeout(5);
  spec.mutable_hooks()->add_poststop()->set_path("/bin/true");
  auto config = ToContainerConfig(spec, "/bundle");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->hooks().create_container_size(), 1);
  EXPECT_EQ(config->hooks().create_container(0).path(), "/usr/bin/hook");
  EXPECT_EQ(config->hooks().create_container(0).args_size(), 2);
  EXPECT_EQ(config->hooks().create_container(0).timeout_seconds(), 5u);
  EXPECT_EQ(config->hooks().poststop(0).timeout_seconds(), 0u);
  EXPECT_EQ(config->hooks().prestart_size(), 0);

  hook->set_path("hook");
  ExpectInvalid(spec, "hooks.createContainer[0].path: must be an absolute path, got 'hook'");
  hook->set_path("/usr/bin/hook");
  hook->set_timeout(0);
  ExpectInvalid(spec, "hooks.createContainer[0].timeout: 0 is not a positive number of seconds");
}

TEST(OciSpecTest, ProcessJsonAsTheShimWritesIt) {
  auto process = ParseProcessJson(
      R"({"terminal":false,"user":{"uid":1000,"gid":100},"args":["sh","-c","true"],)"
      R"("env":["PATH=/bin"],"cwd":"/tmp","capabilities":{"bounding":["CAP_KILL"]},)"
      R"("apparmorProfile":"unknown-to-us"})",
      "/run/x/process.json");
  ASSERT_TRUE(process.ok()) << process.status();
  EXPECT_EQ(process->user().uid(), 1000u);
  EXPECT_EQ(process->args_size(), 3);
  EXPECT_EQ(process->cwd(), "/tmp");
  auto bad = ParseProcessJson(R"({"args": ["sh")", "/run/x/process.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("/run/x/process.json"));
}

TEST(OciSpecTest, RelativeRootAndBindSourcesResolveAgainstTheBundle) {
  auto spec = RuncSpec();
  auto* m = spec.add_mounts();
  m->set_destination("/data/../data/./in");
  m->set_source("shared");
  m->add_options("rbind");
  m->add_options("ro");
  auto config = ToContainerConfig(spec, "/srv/bundle");
  ASSERT_TRUE(config.ok()) << config.status();
  const auto& bind = config->mounts(config->mounts_size() - 1);
  EXPECT_EQ(bind.type(), "bind");
  EXPECT_EQ(bind.source(), "/srv/bundle/shared");
  EXPECT_EQ(bind.destination(), "/data/in");
  EXPECT_TRUE(bind.recursive());
  EXPECT_EQ(bind.flags(), MS_BIND | MS_REC | MS_RDONLY);
}

TEST(OciSpecTest, CleanAbsolutePath) {
  EXPECT_EQ(*CleanAbsolutePath("/a/./b/../c/", "f"), "/a/c");
  EXPECT_EQ(*CleanAbsolutePath("/../../etc", "f"), "/etc");
  EXPECT_EQ(*CleanAbsolutePath("/", "f"), "/");
  EXPECT_FALSE(CleanAbsolutePath("a/b", "f").ok());
}

}  // namespace
}  // namespace runsc::specutils
