// Root tests of a workload's file system: its root (an overlay whose
// writes stay private, or the rootfs read-only), the spec's mounts and
// binds and their options, tmpcopyup, the ids files have, and the spec's
// devices.
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/workload_fixture.h"

namespace runsc::testing {
namespace {

using ::testing::HasSubstr;

using WorkloadTest = WorkloadFixture;

TEST_F(WorkloadTest, WritesStayPrivateAndReadonlyRootIsHonoured) {
  // Writable root (an overlay): the write succeeds, the bundle is untouched.
  auto spec = Spec({"sh", "-c", "echo x > /etc/new && cat /etc/new && echo y >> /etc/passwd"});
  spec.mutable_root()->set_readonly(false);
  ProcessResult r = RunMain(spec);
  EXPECT_EQ(r.out, "x\n") << r.err;
  EXPECT_EQ(r.status.code(), 0);
  struct stat st;
  EXPECT_NE(stat((bundle_ + "/rootfs/etc/new").c_str(), &st), 0);
  std::ifstream passwd(bundle_ + "/rootfs/etc/passwd");
  std::stringstream text;
  text << passwd.rdbuf();
  EXPECT_THAT(text.str(), ::testing::Not(HasSubstr("y\n")));
  // Read-only root (runc spec's default): EROFS, but /dev/shm stays writable.
  ProcessResult ro =
      RunMain(Spec({"sh", "-c", "touch /x; echo rc=$?; touch /dev/shm/y && echo shm-ok"}));
  EXPECT_THAT(ro.err, HasSubstr("Read-only file system"));
  EXPECT_THAT(ro.out, HasSubstr("rc=1"));
  EXPECT_THAT(ro.out, HasSubstr("shm-ok"));
}

// The writable layer held 256 MiB whatever the container's memory: a
// container with 2 GiB got ENOSPC writing 300 MiB to its root. Its pages
// are the container's memory, so the memory limit is its size; without a
// limit, 256 MiB.
TEST_F(WorkloadTest, TheWritableRootHoldsAsMuchAsTheMemoryLimit) {
  auto spec = Spec({"sh", "-c", "df -k / | awk 'NR == 2 { print $2 }'"});
  spec.mutable_root()->set_readonly(false);
  ProcessResult unlimited = RunMain(spec);
  EXPECT_EQ(unlimited.out, absl::StrCat(256 * 1024, "\n")) << unlimited.err;
  spec.mutable_linux()->mutable_resources()->mutable_memory()->set_limit(int64_t{512} << 20);
  ProcessResult limited = RunMain(spec);
  EXPECT_EQ(limited.out, absl::StrCat(512 * 1024, "\n")) << limited.err;
}

// A read-only root that already has the spec's mount points is the rootfs
// itself (idmapped, read-only), with no overlay to build or tear down; one
// that lacks one gets the overlay, whose writable layer holds the mount
// point. The bundle is never written either way.
TEST_F(WorkloadTest, AReadOnlyRootThatHasItsMountPointsNeedsNoOverlay) {
  const std::string probe =
      "awk '$5 == \"/\" { for (i = 7; i <= NF; i++) if ($i == \"-\") print $6, $(i + 1) }' "
      "/proc/self/mountinfo; touch /x; echo rc=$?; touch /dev/shm/y && echo shm-ok";
  // The fixture's rootfs has no /proc, /dev or /sys.
  ProcessResult layered = RunMain(Spec({"sh", "-c", probe}));
  EXPECT_THAT(layered.out, HasSubstr(" overlay\n")) << layered.err;
  EXPECT_THAT(layered.out, HasSubstr("rc=1\nshm-ok\n"));
  struct stat st;
  for (const char* dir : {"proc", "dev", "sys"}) {
    EXPECT_NE(stat((bundle_ + "/rootfs/" + dir).c_str(), &st), 0)
        << dir << ": the bundle was written";
    ASSERT_EQ(mkdir((bundle_ + "/rootfs/" + dir).c_str(), 0755), 0);
  }
  ProcessResult direct = RunMain(Spec({"sh", "-c", probe}));
  EXPECT_THAT(direct.out, ::testing::StartsWith("ro,")) << direct.out << direct.err;
  EXPECT_THAT(direct.out, HasSubstr("idmapped"));
  EXPECT_THAT(direct.out, ::testing::Not(HasSubstr("overlay")));
  EXPECT_THAT(direct.err, HasSubstr("Read-only file system"));
  EXPECT_THAT(direct.out, HasSubstr("rc=1\nshm-ok\n"));
  EXPECT_EQ(direct.status.code(), 0);
}

// The container's trees are private clones. On a host whose mounts are
// shared (systemd makes / shared; this VM's is private), a clone would join
// the host mount's peer group: what the launcher mounts on the root (proc,
// /dev) or under a bind mount would appear on the host, and the pivot into
// the root would fail.
TEST_F(WorkloadTest, NothingMountedInTheContainerAppearsOnASharedHostMount) {
  // The name HostMountPoints leaves out: tests beside this one see it.
  const std::string shared = root_.path() + "/" + kTestOwnMount;
  ASSERT_EQ(mkdir(shared.c_str(), 0755), 0);
  ASSERT_EQ(mount("tmpfs", shared.c_str(), "tmpfs", 0, "mode=755"), 0);
  absl::Cleanup unmount = [&shared] {
    // Whatever leaked, then the tmpfs.
    EXPECT_EQ(system(absl::StrCat("umount -R ", shared).c_str()), 0);
    rmdir(shared.c_str());
  };
  ASSERT_EQ(mount(nullptr, shared.c_str(), nullptr, MS_SHARED, nullptr), 0);
  ASSERT_TRUE(MakeBusyboxRootfs(shared + "/bundle", {"test/probe"}).ok());
  ASSERT_EQ(mkdir((shared + "/data").c_str(), 0777), 0);
  ASSERT_EQ(mkdir((shared + "/data/sub").c_str(), 0777), 0);
  // Every mount point of runc's spec is there: the root is the rootfs's
  // own clone, with no overlay of ours on top.
  for (const char* dir : {"proc", "dev", "sys", "data"}) {
    ASSERT_EQ(mkdir((shared + "/bundle/rootfs/" + dir).c_str(), 0755), 0);
  }
  auto spec =
      RuncSpec(shared + "/bundle", {"sh", "-c", "grep -c ' /data/sub ' /proc/self/mountinfo"});
  ASSERT_TRUE(spec.ok()) << spec.status();
  spec->mutable_root()->set_path(shared + "/bundle/rootfs");
  auto* data = spec->add_mounts();
  data->set_destination("/data");
  data->set_source(shared + "/data");
  data->add_options("bind");
  data->add_options("rw");
  auto* sub = spec->add_mounts();
  sub->set_destination("/data/sub");
  sub->set_type("tmpfs");
  sub->set_source("tmpfs");
  auto* box = Create(*spec, "shared");
  ASSERT_NE(box, nullptr);
  auto r = RunInSandbox(*box);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->out, "1\n") << r->err;
  std::vector<std::string> leaked;
  std::ifstream mountinfo("/proc/self/mountinfo");
  for (std::string line; std::getline(mountinfo, line);) {
    std::vector<std::string> f = absl::StrSplit(line, ' ');
    if (f.size() > 4 && absl::StartsWith(f[4], shared + "/")) leaked.push_back(f[4]);
  }
  EXPECT_THAT(leaked, ::testing::IsEmpty());
}

TEST_F(WorkloadTest, RootfsFilesOwnedByHostRootAreContainerRoots) {
  ProcessResult r = RunMain({"sh", "-c", "stat -c %u:%g /bin/busybox /etc/passwd"});
  EXPECT_EQ(r.out, "0:0\n0:0\n") << r.err;
}

TEST_F(WorkloadTest, HostUidIsInThePrivateRangeAndRangesDiffer) {
  // A writable host directory bound into two sandboxes: each workload's
  // file shows its host owner, which must be its sandbox's private range
  // (never host root's or another sandbox's).
  const std::string shared = root_.path() + "/shared";
  ASSERT_EQ(system(("mkdir -p " + shared + " && chmod 777 " + shared).c_str()), 0);
  std::vector<uint32_t> bases;
  for (const char* name : {"a", "b"}) {
    auto spec = Spec({"probe", "touch", absl::StrCat("/shared/", name)});
    spec.mutable_process()->mutable_user()->set_uid(1000);
    auto* m = spec.add_mounts();
    m->set_destination("/shared");
    m->set_source(shared);
    m->add_options("bind");
    m->add_options("rw");
    auto* box = Create(spec, name);
    ASSERT_NE(box, nullptr);
    auto r = RunInSandbox(*box);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->out, "ok\n") << r->err;
    struct stat st;
    ASSERT_EQ(stat(absl::StrCat(shared, "/", name).c_str(), &st), 0);
    const uint32_t base = box->uid_range().host_base;
    EXPECT_GE(base, 1u << 30);
    EXPECT_EQ(st.st_uid, base + 1000) << "file of sandbox " << name;
    bases.push_back(base);
  }
  EXPECT_NE(bases[0], bases[1]);
}

TEST_F(WorkloadTest, ContainerRootWritesToAWritableBindAsItsPrivateHostUid) {
  const std::string shared = root_.path() + "/shared";
  ASSERT_EQ(system(("mkdir -p " + shared + " && chmod 777 " + shared).c_str()), 0);
  auto spec = Spec({"sh", "-c", "touch /shared/f && chmod 4755 /shared/f"});
  auto* m = spec.add_mounts();
  m->set_destination("/shared");
  m->set_source(shared);
  m->add_options("bind");
  auto* box = Create(spec);
  ASSERT_NE(box, nullptr);
  auto r = RunInSandbox(*box);
  ASSERT_TRUE(r.ok()) << r.status();
  struct stat st;
  ASSERT_EQ(stat((shared + "/f").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, box->uid_range().host_base);  // container root
  EXPECT_NE(st.st_uid, 0u) << "container root wrote as host root";
}

// A bind's options beyond ro were dropped: a "noexec" volume ran programs,
// an "rro" one (runc's recursive read-only) was writable, and "nosymfollow"
// followed links. Each is the bind's now, and a bind without them still
// runs, writes and follows.
TEST_F(WorkloadTest, ABindGetsItsNoexecReadOnlyAndNosymfollowOptions) {
  const std::string vol = root_.path() + "/shared";  // TearDown removes it
  ASSERT_EQ(system(absl::StrCat("mkdir -p ", vol, " && chmod 777 ", vol, " && cp /bin/busybox ",
                                vol, "/true && ln -s . ", vol, "/dir")
                       .c_str()),
            0);
  auto spec = Spec({"sh", "-c",
                    "/x/true && echo x-ran; touch /y/f && echo y-wrote; "
                    "/z/dir/true && echo z-followed; "
                    "/w/true && touch /w/g && /w/dir/true && echo w-ok"});
  for (const auto& [dest, options] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"/x", {"rbind", "noexec"}},
           {"/y", {"rbind", "rro"}},
           {"/z", {"bind", "nosymfollow"}},
           {"/w", {"rbind", "rw"}}}) {
    auto* m = spec.add_mounts();
    m->set_destination(dest);
    m->set_source(vol);
    for (const std::string& o : options) m->add_options(o);
  }
  auto* box = Create(spec);
  ASSERT_NE(box, nullptr);
  auto r = RunInSandbox(*box);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->out, "w-ok\n") << r->err;
  EXPECT_THAT(r->err, HasSubstr("/x/true: Permission denied"));
  EXPECT_THAT(r->err, HasSubstr("Read-only file system"));
  EXPECT_THAT(r->err, HasSubstr("/z/dir/true: Too many levels of symbolic links"));
  struct stat st;
  EXPECT_NE(stat((vol + "/f").c_str(), &st), 0);
  EXPECT_EQ(stat((vol + "/g").c_str(), &st), 0);
}

// tmpcopyup (podman gives it to every tmpfs) was dropped: an image's
// directory under a tmpfs came up empty. The tmpfs now starts with a copy
// of it, with its owners, modes and links, as runc fills it; a read-only
// one is made read-only after the copy. The bundle is never written.
TEST_F(WorkloadTest, ATmpcopyupTmpfsStartsWithWhatItCovers) {
  const std::string data = bundle_ + "/rootfs/data";
  ASSERT_EQ(system(absl::StrCat("mkdir -p ", data, "/sub && chmod 750 ", data, " && echo hello > ",
                                data, "/f && chown 1000:1000 ", data, "/f && chmod 604 ", data,
                                "/f && echo deep > ", data, "/sub/g && ln -s f ", data, "/link")
                       .c_str()),
            0);
  auto spec =
      Spec({"sh", "-c",
            "cat /data/f /data/sub/g; stat -c %u:%g:%a /data/f; stat -c %a /data; "
            "readlink /data/link; "
            "echo new > /data/n && cat /data/n; grep ' /data ' /proc/mounts | cut -d' ' -f3; "
            "head -c 5 /etc/passwd; echo; touch /etc/x 2>/dev/null || echo etc-ro"});
  for (const auto& [dest, options] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"/data", {"nosuid", "tmpcopyup"}}, {"/etc", {"ro", "tmpcopyup"}}}) {
    auto* m = spec.add_mounts();
    m->set_destination(dest);
    m->set_type("tmpfs");
    m->set_source("tmpfs");
    for (const std::string& o : options) m->add_options(o);
  }
  ProcessResult r = RunMain(spec);
  EXPECT_EQ(r.out, "hello\ndeep\n1000:1000:604\n750\nf\nnew\ntmpfs\nroot:\netc-ro\n") << r.err;
  struct stat st;
  EXPECT_NE(stat((data + "/n").c_str(), &st), 0) << "the write reached the bundle";
}

// linux.devices were dropped: the workload found no such node. Each is now
// made as runc makes it (by the host: a user namespace can make none),
// with its numbers, mode and owner (container ids), wherever the spec
// puts it. The node works, though every other mount of the container is
// nodev; a FIFO is one too. An owner the container has no id for is
// refused by its field.
TEST_F(WorkloadTest, SpecDevicesAreMadeWithTheirModeAndOwner) {
  auto spec = Spec({"sh", "-c",
                    "echo x > /dev/myfull; head -c 3 /dev/sub/zero | od -An -tx1; "
                    "cat /dev/closed; stat -c '%n %F %t:%T %a %u:%g' /dev/myfull /dev/sub/zero "
                    "/dev/closed /tmp/fifo"});
  auto add = [](runsc::oci::v1::Spec* s, const std::string& path, const std::string& type,
                int major, int minor, uint32_t mode, uint32_t uid) {
    auto* d = s->mutable_linux()->add_devices();
    d->set_path(path);
    d->set_type(type);
    d->set_major(major);
    d->set_minor(minor);
    d->set_file_mode(mode);
    d->set_uid(uid);
    d->set_gid(uid);
  };
  // runc's spec denies every device: these are allowed, as podman allows
  // what it gives.
  for (int minor : {5, 7}) {
    auto* rule = spec.mutable_linux()->mutable_resources()->add_devices();
    rule->set_allow(true);
    rule->set_type("c");
    rule->set_major(1);
    rule->set_minor(minor);
    rule->set_access("rwm");
  }
  add(&spec, "/dev/myfull", "c", 1, 7, 0666, 0);
  add(&spec, "/dev/myfull", "c", 1, 5, 0600, 0);  // given again: the first stays, as with runc
  add(&spec, "/dev/sub/zero", "c", 1, 5, 0600, 0);
  add(&spec, "/dev/closed", "c", 1, 5, 0600, 1000);
  add(&spec, "/tmp/fifo", "p", 0, 0, 0620, 7);
  auto* box = Create(spec);
  ASSERT_NE(box, nullptr);
  auto r = RunInSandbox(*box);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->out,
            " 00 00 00\n"
            "/dev/myfull character special file 1:7 666 0:0\n"
            "/dev/sub/zero character special file 1:5 600 0:0\n"
            "/dev/closed character special file 1:5 600 1000:1000\n"
            "/tmp/fifo fifo 0:0 620 7:7\n")
      << r->err;
  EXPECT_THAT(r->err, HasSubstr("No space left on device"));  // /dev/full's answer
  EXPECT_THAT(r->err, HasSubstr("can't open '/dev/closed': Permission denied"));

  auto unowned = spec;
  unowned.mutable_linux()->clear_devices();
  add(&unowned, "/dev/myfull", "c", 1, 7, 0666, 0);
  add(&unowned, "/dev/other", "c", 1, 7, 0666, 70000);
  auto status = TryCreate(unowned, "unowned").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("linux.devices[1].uid: 70000 is not an id of the container"));
}

// A privileged container's spec lists every device of the host, hundreds
// (tty0 to tty63 alone are 64): they come in one fd, not one each (a
// sandbox gets at most 64). Its /dev/ptmx stays devpts's, as runc keeps it
// where /dev is not a bind.
TEST_F(WorkloadTest, AHostsWorthOfDevicesAndItsPtmx) {
  auto spec = Spec({"sh", "-c",
                    "ls /dev/many | wc -l; stat -c '%F' /dev/ptmx /dev/many/299; "
                    "head -c 2 /dev/many/7 | od -An -tx1; "
                    "grep -c ' /dev/pts/ptmx ' /proc/self/mountinfo"});
  auto* all = spec.mutable_linux()->mutable_resources()->add_devices();
  all->set_allow(true);  // --privileged's one rule
  all->set_access("rwm");
  for (int i = 0; i < 300; ++i) {
    auto* d = spec.mutable_linux()->add_devices();
    d->set_path(absl::StrCat("/dev/many/", i));
    d->set_type("c");
    d->set_major(1);
    d->set_minor(5);  // /dev/zero
  }
  auto* ptmx = spec.mutable_linux()->add_devices();
  ptmx->set_path("/dev/ptmx");
  ptmx->set_type("c");
  ptmx->set_major(5);
  ptmx->set_minor(2);
  auto* box = Create(spec);
  ASSERT_NE(box, nullptr);
  auto r = RunInSandbox(*box);
  ASSERT_TRUE(r.ok()) << r.status();
  // Nothing was mounted on devpts's ptmx through the link either.
  EXPECT_EQ(r->out, "300\nsymbolic link\ncharacter special file\n 00 00\n0\n") << r->err;
}

}  // namespace
}  // namespace runsc::testing
