// Root tests of what a spec names of the host for a container in runtime
// mode: namespaces joined by path (podman's network, a pod's IPC and UTS),
// its own uid and gid mappings, sysctls and the cgroup path, and that none
// of them lets it change the host's own.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/cli_fixture.h"
#include "test/oci_runtime_fixture.h"
#include "test/sandbox_test_util.h"

namespace runsc::testing {
namespace {

using ::testing::HasSubstr;

TEST_F(OciRuntimeTest, CgroupsPathPlacesTheContainer) {
  // As containerd's shim or a kubelet on cgroupfs name it.
  const std::string parent = absl::StrCat("runsc-test-", getpid());
  SetArgs({"sleep", "1000"}, 64 << 20);
  runsc::oci::v1::Spec spec = LoadSpec();
  spec.mutable_linux()->set_cgroups_path(absl::StrCat("/", parent, "/pod1/ctr-a"));
  SaveSpec(spec);
  pid_t pid = Create("a");
  ASSERT_EQ(Runsc("start a").first, 0);
  // A second container on the same path would share, and change, the
  // first one's cgroup: refused, and the first one's is left alone.
  ExpectError("create b", "is in use by another sandbox");
  const std::string cgroup = MemoryCgroupOf(pid);
  if (cgroup.empty()) GTEST_SKIP() << "no v1 memory hierarchy on this host";
  const std::string dir = absl::StrCat("/sys/fs/cgroup/memory/", parent, "/pod1/ctr-a");
  EXPECT_EQ(cgroup, dir + "/container");
  EXPECT_EQ(MemoryCgroupOf(atoi(WorkloadHostPid("a").c_str())), dir + "/container");
  EXPECT_EQ(ReadFile(dir + "/container/memory.limit_in_bytes"), absl::StrCat(64 << 20, "\n"));
  EXPECT_EQ(Runsc("kill a KILL").first, 0);
  EXPECT_EQ(Reap(pid), 137);
  ASSERT_EQ(Runsc("delete a").first, 0);
  // delete removes the container's directory, not the parents it made.
  EXPECT_NE(access(dir.c_str(), F_OK), 0);
  EXPECT_EQ(access(absl::StrCat("/sys/fs/cgroup/memory/", parent, "/pod1").c_str(), F_OK), 0);
  RunShell(absl::StrCat("for h in /sys/fs/cgroup/*/", parent, "; do rmdir $h/pod1 $h; done"));

  spec.mutable_linux()->set_cgroups_path("system.slice:runsc:a");
  SaveSpec(spec);
  ExpectError("create a", "linux.cgroupsPath: 'system.slice:runsc:a' is systemd's");
  spec.mutable_linux()->set_cgroups_path("/a/../../etc");
  SaveSpec(spec);
  ExpectError("create a", "linux.cgroupsPath: '/a/../../etc' has a '.' or '..' component");
}

TEST_F(OciRuntimeTest, ARefusedCgroupsPathLeavesNoDirectoryBehind) {
  // Another sandbox's leaves in the unified hierarchy alone (a path that
  // collides in part): the create is refused, and takes back the
  // directories it made in the v1 hierarchies before it found them.
  if (access("/sys/fs/cgroup/unified/cgroup.procs", F_OK) != 0 ||
      access("/sys/fs/cgroup/memory/cgroup.procs", F_OK) != 0) {
    GTEST_SKIP() << "needs a hybrid host: a unified hierarchy and a v1 memory hierarchy";
  }
  const std::string parent = absl::StrCat("runsc-test-", getpid());
  const std::string held = absl::StrCat("/sys/fs/cgroup/unified/", parent, "/ctr/container");
  ASSERT_EQ(RunShell("mkdir -p " + held).first, 0);
  absl::Cleanup cleanup = [&] {
    RunShell(
        absl::StrCat("for h in /sys/fs/cgroup/*/", parent,
                     "; do rmdir $h/ctr/container $h/ctr/supervisor $h/ctr $h; done 2>/dev/null"));
  };
  SetArgs({"true"});
  runsc::oci::v1::Spec spec = LoadSpec();
  spec.mutable_linux()->set_cgroups_path(absl::StrCat("/", parent, "/ctr"));
  SaveSpec(spec);
  ExpectError("create c", "is in use by another sandbox");
  EXPECT_EQ(access(held.c_str(), F_OK), 0) << "the other sandbox's leaf was removed";
  const std::string leaf = absl::StrCat("/sys/fs/cgroup/unified/", parent, "/ctr/supervisor");
  EXPECT_NE(access(leaf.c_str(), F_OK), 0) << leaf << " was left behind";
  const std::string v1 = absl::StrCat("/sys/fs/cgroup/memory/", parent, "/ctr");
  EXPECT_NE(access(v1.c_str(), F_OK), 0) << v1 << " was left behind";
  EXPECT_NE(access(absl::StrCat("/sys/fs/cgroup/pids/", parent, "/ctr").c_str(), F_OK), 0);
}

TEST_F(OciRuntimeTest, JoinsANetworkNamespaceByPath) {
  // A namespace set up as podman's netavark would: a named netns with an
  // interface in it.
  const std::string name = absl::StrCat("runsc-test-", getpid());
  ASSERT_EQ(RunShell(absl::StrCat("ip netns add ", name, " && ip -n ", name,
                                  " link add runsc-dummy0 type veth peer name runsc-dummy1 && ip -n ", name,
                                  " addr add 10.211.0.7/24 dev runsc-dummy0 && ip -n ", name,
                                  " link set runsc-dummy0 up"))
                .first,
            0);
  runsc::oci::v1::Spec spec = LoadSpec();
  spec.mutable_process()->set_terminal(false);
  spec.mutable_process()->clear_args();
  for (const char* a : {"sh", "-c",
                        "ip -4 addr show runsc-dummy0; ls /sys/class/net; "
                        "ip link set runsc-dummy0 down 2>/dev/null || echo cannot-reconfigure; "
                        "echo ping=$(cat /proc/sys/net/ipv4/ping_group_range)"}) {
    spec.mutable_process()->add_args(a);
  }
  for (auto& ns : *spec.mutable_linux()->mutable_namespaces()) {
    if (ns.type() == "network") ns.set_path("/run/netns/" + name);
  }
  // podman always sends this; the host writes it, as the container's gid 0.
  (*spec.mutable_linux()->mutable_sysctl())["net.ipv4.ping_group_range"] = "0 0";
  SaveSpec(spec);
  auto [code, out] = Runsc("run a");
  EXPECT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("inet 10.211.0.7/24"));
  EXPECT_THAT(out, HasSubstr("runsc-dummy0\n"));  // its sysfs, not the host's
  EXPECT_THAT(out, ::testing::Not(HasSubstr("eth0")));
  // The namespace belongs to the host's user namespace: the container, root
  // in its own, cannot reconfigure it.
  EXPECT_THAT(out, HasSubstr("cannot-reconfigure"));
  EXPECT_THAT(RunShell("ip -n " + name + " link show runsc-dummy0").second, HasSubstr(",UP"));
  EXPECT_THAT(out, HasSubstr("ping=0 0\n"));
  // On the host, the range is one gid of a private range, never host root.
  const std::string host_range =
      RunShell("ip netns exec " + name + " cat /proc/sys/net/ipv4/ping_group_range").second;
  EXPECT_THAT(host_range, ::testing::MatchesRegex("[0-9]{10}\t[0-9]{10}\n")) << host_range;
  // A path that is no network namespace is refused, by name.
  for (auto& ns : *spec.mutable_linux()->mutable_namespaces()) {
    if (ns.type() == "network") ns.set_path("/proc/self/ns/ipc");
  }
  SaveSpec(spec);
  ExpectError("run a", "'/proc/self/ns/ipc' is not a network namespace");
  RunShell("ip netns del " + name);
}

TEST_F(OciRuntimeTest, SpecIdMappingsAreTheWorkloadsOwn) {
  // As podman --uidmap 0:300000:65536 --gidmap 0:310000:65536 sends them.
  const std::string data = root_.path() + "/data";
  ASSERT_EQ(mkdir(data.c_str(), 0700), 0);
  ASSERT_EQ(chown(data.c_str(), 300000, 310000), 0);
  runsc::oci::v1::Spec spec = LoadSpec();
  spec.mutable_process()->set_terminal(false);
  spec.mutable_process()->clear_args();
  for (const char* a : {"sh", "-c", "touch /data/f && id -u && id -g && stat -c %u:%g /data /bin"}) {
    spec.mutable_process()->add_args(a);
  }
  auto* m = spec.add_mounts();
  m->set_destination("/data");
  m->set_type("bind");
  m->set_source(data);
  m->add_options("rbind");
  auto map = [](auto* list, uint32_t host) {
    auto* e = list->Add();
    e->set_container_id(0);
    e->set_host_id(host);
    e->set_size(65536);
  };
  map(spec.mutable_linux()->mutable_uid_mappings(), 300000);
  map(spec.mutable_linux()->mutable_gid_mappings(), 310000);
  SaveSpec(spec);
  auto [code, out] = Runsc("run a");
  ASSERT_EQ(code, 0) << out;
  // The container's root is host 300000:310000: it owns /data and what it
  // makes there. The bundle's rootfs (host root's files) is not idmapped,
  // as with runc, so its files show as the overflow id.
  EXPECT_EQ(out, "0\n0\n0:0\n65534:65534\n");
  struct stat st;
  ASSERT_EQ(stat((data + "/f").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 300000u);
  EXPECT_EQ(st.st_gid, 310000u);

  // Ids a workload may not hold, and the ranges runsc keeps for others.
  spec.mutable_linux()->mutable_uid_mappings(0)->set_host_id(65000);
  SaveSpec(spec);
  ExpectError("run a", "linux.uidMappings[0]: host id 65533 belongs to the sandbox's supervisor");
  spec.mutable_linux()->mutable_uid_mappings(0)->set_host_id(300000);
  spec.mutable_linux()->mutable_gid_mappings(0)->set_host_id(1u << 30);
  SaveSpec(spec);
  ExpectError("run a", "linux.gidMappings[0]: host ids from 1073741824 up are runsc's private");
}

TEST_F(OciRuntimeTest, JoinsAPodsIpcAndUtsNamespacesByPath) {
  // Namespaces held open as a pod's infra container holds them, with a
  // hostname and an IPC limit of their own.
  // Under the name HostMountPoints leaves out: the leak checks of tests
  // running beside this one are not to see these mounts.
  const std::string held = root_.path() + "/" + kTestOwnMount;
  const std::string ipc = held + "/ipc", uts = held + "/uts";
  ASSERT_EQ(RunShell(absl::StrCat("mkdir -p ", held, " && touch ", ipc, " ", uts,
                                  " && unshare --ipc=", ipc, " --uts=", uts,
                                  " sh -c 'hostname infra && echo 1234 > "
                                  "/proc/sys/kernel/shmmni'"))
                .first,
            0);
  absl::Cleanup unmount = [&] { RunShell(absl::StrCat("umount ", ipc, " ", uts)); };
  const std::string host_name = RunShell("hostname").second;
  runsc::oci::v1::Spec spec = LoadSpec();
  spec.mutable_process()->set_terminal(false);
  spec.mutable_process()->clear_args();
  for (const char* a : {"sh", "-c",
                        "readlink /proc/self/ns/ipc; readlink /proc/self/ns/uts; hostname; "
                        "cat /proc/sys/kernel/shmmni /proc/sys/fs/mqueue/msg_max; "
                        "grep -c ' /dev/mqueue mqueue ' /proc/mounts"}) {
    spec.mutable_process()->add_args(a);
  }
  for (const auto& [type, path] : {std::make_pair("ipc", ipc), std::make_pair("uts", uts)}) {
    bool found = false;
    for (auto& ns : *spec.mutable_linux()->mutable_namespaces()) {
      if (ns.type() == type) {
        ns.set_path(path);
        found = true;
      }
    }
    ASSERT_TRUE(found) << type;
  }
  spec.set_hostname("pod-a");
  spec.set_domainname("pod.example");
  (*spec.mutable_linux()->mutable_sysctl())["fs.mqueue.msg_max"] = "33";
  SaveSpec(spec);
  auto [code, out] = Runsc("run a");
  ASSERT_EQ(code, 0) << out;
  struct stat ipc_st, uts_st;
  ASSERT_EQ(stat(ipc.c_str(), &ipc_st), 0);
  ASSERT_EQ(stat(uts.c_str(), &uts_st), 0);
  // The very namespaces, the spec's hostname set in the shared one, its
  // IPC limit seen, the sysctl written there, and an mqueue of it mounted.
  EXPECT_EQ(out, absl::StrCat("ipc:[", ipc_st.st_ino, "]\nuts:[", uts_st.st_ino,
                              "]\npod-a\n1234\n33\n1\n"));
  EXPECT_EQ(RunShell("nsenter --uts=" + uts + " hostname").second, "pod-a\n");
  EXPECT_EQ(RunShell("nsenter --uts=" + uts + " cat /proc/sys/kernel/domainname").second,
            "pod.example\n");
  EXPECT_EQ(RunShell("nsenter --ipc=" + ipc + " cat /proc/sys/fs/mqueue/msg_max").second, "33\n");
  EXPECT_EQ(RunShell("hostname").second, host_name);

  // A namespace a sandbox cannot live in, and a path of the wrong kind.
  for (auto& ns : *spec.mutable_linux()->mutable_namespaces()) {
    if (ns.type() == "ipc") ns.set_path(uts);
  }
  SaveSpec(spec);
  ExpectError("run a", "linux.namespaces (ipc): '" + uts + "' is not an IPC namespace");
  for (auto& ns : *spec.mutable_linux()->mutable_namespaces()) {
    if (ns.type() == "ipc") ns.set_path(ipc);
    if (ns.type() == "pid") ns.set_path("/proc/1/ns/pid");
  }
  SaveSpec(spec);
  ExpectError("run a", "joining a pid namespace by path is not supported");
  for (auto& ns : *spec.mutable_linux()->mutable_namespaces()) {
    if (ns.type() == "pid") ns.clear_path();
  }
  // A FIFO is refused without being opened (which would block).
  const std::string fifo = root_.path() + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  for (auto& ns : *spec.mutable_linux()->mutable_namespaces()) {
    if (ns.type() == "ipc") ns.set_path(fifo);
  }
  SaveSpec(spec);
  ExpectError("run a", "linux.namespaces (ipc): '" + fifo + "' is not an IPC namespace");
  // The host's own namespaces may be joined, never changed.
  for (auto& ns : *spec.mutable_linux()->mutable_namespaces()) {
    if (ns.type() == "ipc") ns.set_path("/proc/self/ns/ipc");  // the runtime's: the host's
    if (ns.type() == "uts") ns.set_path("/proc/self/ns/uts");
  }
  SaveSpec(spec);
  ExpectError("run a", "linux.sysctl[\"fs.mqueue.msg_max\"]: would change the host's own");
  spec.mutable_linux()->mutable_sysctl()->clear();
  SaveSpec(spec);
  ExpectError("run a", "hostname: 'pod-a' would rename the host");
  EXPECT_EQ(RunShell("hostname").second, host_name);
  const std::string host_domain = ReadFile("/proc/sys/kernel/domainname");
  spec.clear_hostname();
  SaveSpec(spec);
  ExpectError("run a", "domainname: 'pod.example' would rename the host");
  EXPECT_EQ(ReadFile("/proc/sys/kernel/domainname"), host_domain);
}

// A type linux.namespaces does not list is the runtime's own, as runc
// shares it (podman's --network=host, --ipc=host, --uts=host): those were
// new namespaces anyway, a container with only loopback. A host PID
// namespace cannot be given, and says so.
TEST_F(OciRuntimeTest, AnUnlistedNamespaceIsTheRuntimesOwnOrRefused) {
  runsc::oci::v1::Spec spec = LoadSpec();
  SetProcess(&spec, {"sh", "-c", "for n in net ipc uts; do readlink /proc/self/ns/$n; done"});
  auto* listed = spec.mutable_linux()->mutable_namespaces();
  listed->erase(std::remove_if(listed->begin(), listed->end(),
                               [](const auto& ns) {
                                 return ns.type() == "network" || ns.type() == "ipc" ||
                                        ns.type() == "uts";
                               }),
                listed->end());
  spec.clear_hostname();
  SaveSpec(spec);
  auto [code, out] = Runsc("run a");
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(out, RunShell("readlink /proc/self/ns/net /proc/self/ns/ipc /proc/self/ns/uts").second);
  // The host's network namespace by path (a host-network pod's infra): the
  // low ports a container with CAP_NET_BIND_SERVICE gets elsewhere are not
  // opened here, and the create is not refused for it.
  const std::string host_ports = ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start");
  auto* net = listed->Add();
  net->set_type("network");
  net->set_path("/proc/self/ns/net");  // the runtime's own: the host's
  SaveSpec(spec);
  auto [hcode, hout] = Runsc("run h");
  EXPECT_EQ(hcode, 0) << hout;
  EXPECT_EQ(ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start"), host_ports);
  listed->erase(std::remove_if(listed->begin(), listed->end(),
                               [](const auto& ns) { return ns.type() == "pid"; }),
                listed->end());
  SaveSpec(spec);
  ExpectError("run b", "linux.namespaces: no pid namespace listed, which means the host's");
}

// The container's capabilities are held in the workloads' user namespace,
// not the one that owns its network namespace: its root could not bind
// port 80 with CAP_NET_BIND_SERVICE, as it can under runc. The low ports
// are open to a container that may hold the capability, as docker opens
// them; to one whose bounding set lacks it, not.
TEST_F(OciRuntimeTest, AContainerWithNetBindServiceBindsALowPort) {
  const std::string bind80 =
      "cat /proc/sys/net/ipv4/ip_unprivileged_port_start; timeout 1 nc -l -p 80 2>&1; echo rc=$?";
  SetArgs({"sh", "-c", bind80});
  auto [code, out] = Runsc("run a");
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(out, "0\nTerminated\nrc=143\n");  // listening until the timeout
  runsc::oci::v1::Spec spec = LoadSpec();
  for (auto* set : {spec.mutable_process()->mutable_capabilities()->mutable_bounding(),
                    spec.mutable_process()->mutable_capabilities()->mutable_effective(),
                    spec.mutable_process()->mutable_capabilities()->mutable_permitted()}) {
    set->erase(std::remove(set->begin(), set->end(), "CAP_NET_BIND_SERVICE"), set->end());
  }
  SaveSpec(spec);
  auto [dcode, dout] = Runsc("run b");
  EXPECT_EQ(dcode, 0) << dout;
  EXPECT_THAT(dout, HasSubstr("1024\n"));
  EXPECT_THAT(dout, HasSubstr("Permission denied"));
}

TEST_F(OciRuntimeTest, SysctlsSetTheContainersNamespacesOnly) {
  const std::string host_shmmni = ReadFile("/proc/sys/kernel/shmmni");
  const std::string host_ping = ReadFile("/proc/sys/net/ipv4/ping_group_range");
  runsc::oci::v1::Spec spec = LoadSpec();
  spec.mutable_process()->set_terminal(false);
  spec.mutable_process()->clear_args();
  for (const char* a : {"cat", "/proc/sys/kernel/shmmni", "/proc/sys/fs/mqueue/msg_max",
                        "/proc/sys/net/ipv4/ping_group_range",
                        "/proc/sys/net/ipv4/ip_unprivileged_port_start"}) {
    spec.mutable_process()->add_args(a);
  }
  // A fresh mutable_sysctl() for each change: a Map held across a
  // reflection read (SpecJson's) no longer marks the message changed.
  auto sysctl = [&spec]() -> auto& { return *spec.mutable_linux()->mutable_sysctl(); };
  sysctl()["kernel.shmmni"] = "2048";
  sysctl()["fs.mqueue.msg_max"] = "20";
  sysctl()["net.ipv4.ping_group_range"] = "0 2147483647";  // Kubernetes' value
  sysctl()["net.ipv4.ip_unprivileged_port_start"] = "80";
  SaveSpec(spec);
  auto [code, out] = Runsc("run a");
  ASSERT_EQ(code, 0) << out;
  // Every gid the container has may ping: 0..65535 as it sees them.
  EXPECT_EQ(out, "2048\n20\n0\t65535\n80\n");
  EXPECT_EQ(ReadFile("/proc/sys/kernel/shmmni"), host_shmmni);
  EXPECT_EQ(ReadFile("/proc/sys/net/ipv4/ping_group_range"), host_ping);

  // One that is the host's, and one that names no parameter.
  sysctl().clear();
  sysctl()["vm.swappiness"] = "10";
  SaveSpec(spec);
  ExpectError("run a", "linux.sysctl[\"vm.swappiness\"]: not scoped by the container's own");
  sysctl().clear();
  sysctl()["net.ipv4.no_such_thing"] = "1";
  SaveSpec(spec);
  ExpectError("run a", "no_such_thing");
}

}  // namespace
}  // namespace runsc::testing
