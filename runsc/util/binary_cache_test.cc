#include "runsc/util/binary_cache.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "runsc/util/elf_file.h"
#include "runsc/util/elf_test_util.h"
#include "runsc/util/file_util.h"
#include "runsc/util/unique_fd.h"

namespace runsc::util {
namespace {

constexpr size_t kMiB = size_t{1} << 20;

// The PMD-mapped bytes of the mapping at `map`, from /proc/self/smaps.
long FilePmdMappedKiB(const void* map) {
  std::istringstream smaps(ReadFileOrEmpty("/proc/self/smaps"));
  char start[32];
  snprintf(start, sizeof(start), "%lx-", reinterpret_cast<unsigned long>(map));
  bool in_map = false;
  for (std::string line; std::getline(smaps, line);) {
    if (!line.empty() && isxdigit(line[0]) && line.find('-') != std::string::npos) {
      in_map = line.rfind(start, 0) == 0;
    }
    if (in_map && line.rfind("FilePmdMapped:", 0) == 0) {
      return atol(line.c_str() + strlen("FilePmdMapped:"));
    }
  }
  return -1;
}

// `path`'s first 4 MiB mapped at a 2 MiB-aligned address, as exec maps the
// text (address and offset agree modulo 2 MiB), optionally with
// MADV_HUGEPAGE, every page touched: a sandbox's text, while it lives.
class Mapped {
 public:
  static constexpr size_t kLen = 4 * kMiB, kAlign = 2 * kMiB;
  Mapped(const std::string& path, bool madvise_huge) {
    UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    room_ = static_cast<char*>(
        mmap(nullptr, kLen + kAlign, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (!fd || room_ == MAP_FAILED) return;
    char* at =
        reinterpret_cast<char*>((reinterpret_cast<uintptr_t>(room_) + kAlign - 1) & ~(kAlign - 1));
    map_ = static_cast<char*>(mmap(at, kLen, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd.get(), 0));
    if (map_ == MAP_FAILED) return;
    if (madvise_huge) madvise(map_, kLen, MADV_HUGEPAGE);
    volatile char sum = 0;
    for (size_t i = 0; i < kLen; i += 4096) sum += map_[i];
  }
  ~Mapped() {
    if (room_ != MAP_FAILED) munmap(room_, kLen + kAlign);
  }
  // The KiB of it mapped by PMD, or -1.
  long PmdKiB() const { return map_ == MAP_FAILED ? -1 : FilePmdMappedKiB(map_); }

 private:
  char* room_ = static_cast<char*>(MAP_FAILED);
  char* map_ = static_cast<char*>(MAP_FAILED);
};

long MapAndTouch(const std::string& path, bool madvise_huge) {
  return Mapped(path, madvise_huge).PmdKiB();
}

// Sets `path`'s access time `used_ago` and its modification time
// `written_ago` seconds back.
void SetAges(const std::string& path, time_t used_ago, time_t written_ago) {
  const time_t now = time(nullptr);
  struct timeval times[2] = {{now - used_ago, 0}, {now - written_ago, 0}};
  ASSERT_EQ(utimes(path.c_str(), times), 0) << path;
}

// Drops what of `path`'s page cache no process maps.
void Evict(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(fd);
  ASSERT_EQ(posix_fadvise(fd.get(), 0, 0, POSIX_FADV_DONTNEED), 0);
}

// Whether a file under `dir` read back (not written) through a
// MADV_HUGEPAGE mapping gets PMD-sized folios from readahead: whether the
// filesystem has large folios at all, found without the code under test.
bool ReadaheadMakesPmdFolios(const std::string& dir) {
  const std::string probe = dir + "/probe";
  {
    UniqueFd out(open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    std::string data(4 * kMiB, 'p');
    if (pwrite(out.get(), data.data(), data.size(), 0) != static_cast<ssize_t>(data.size()) ||
        fdatasync(out.get()) != 0 || posix_fadvise(out.get(), 0, 0, POSIX_FADV_DONTNEED) != 0) {
      return false;
    }
  }
  const bool huge = MapAndTouch(probe, /*madvise_huge=*/true) > 0;
  unlink(probe.c_str());
  return huge;
}

// Whether the kernel has PAGEMAP_SCAN (Linux 6.7), by which the cache
// checks its copy: a scan of one page of ours for huge pages.
bool KernelHasPageMapScan() {
  UniqueFd pagemap(open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC));
  static char page[4096] __attribute__((aligned(4096)));
  uint64_t regions[3];
  // struct pm_scan_arg: size, flags, start, end, walk_end, vec, vec_len,
  // max_pages, category_inv_mask, category_mask, category_anyof_mask,
  // return_mask.
  uint64_t arg[12] = {sizeof(arg),
                      0,
                      reinterpret_cast<uintptr_t>(page),
                      reinterpret_cast<uintptr_t>(page) + sizeof(page),
                      0,
                      reinterpret_cast<uintptr_t>(regions),
                      1,
                      0,
                      0,
                      1 << 6,
                      0,
                      1 << 6};
  return pagemap && ioctl(pagemap.get(), _IOWR('f', 16, uint64_t[12]), arg) >= 0;
}

class BinaryCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Under the test's own temporary directory: a disk, where Bazel runs
    // tests (a tmpfs /tmp would refuse the copy, as it should).
    const char* base = getenv("TEST_TMPDIR");
    std::string templ = std::string(base != nullptr ? base : "/var/tmp") + "/binary-cache-XXXXXX";
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    dir_ = templ;
    struct statfs fs;
    ASSERT_EQ(statfs(dir_.c_str(), &fs), 0);
    if (fs.f_type == TMPFS_MAGIC) GTEST_SKIP() << dir_ << " is on a tmpfs, where no copy is made";
    // Loaded part 5 MiB and a bit (two whole 2 MiB blocks and a tail),
    // then 1 MiB nothing loads; its text is a pattern the copy must keep.
    source_ = WriteElf(dir_ + "/runsc", 5 * kMiB + 4096, kMiB, "\x12\x34\x56\x78");
    UniqueFd fd(open(source_.c_str(), O_WRONLY | O_CLOEXEC));
    std::string pattern(4 * kMiB, '\0');
    for (size_t i = 0; i < pattern.size(); ++i) pattern[i] = static_cast<char>(i * 7 + i / 4096);
    ASSERT_EQ(pwrite(fd.get(), pattern.data(), pattern.size(), kMiB),
              static_cast<ssize_t>(pattern.size()));
    cache_ = dir_ + "/cache";
    large_folios_ = ReadaheadMakesPmdFolios(dir_);
    page_map_scan_ = KernelHasPageMapScan();
  }

  // Whether CachedBinary makes a copy here: not where it can tell that the
  // filesystem has no large folios (the marker test covers that).
  bool CopiesMadeHere() const { return large_folios_; }
  static constexpr char kNoCopies[] =
      "the filesystem under TEST_TMPDIR has no large folios (ext4 has them from Linux 6.16): "
      "no copy is made there";
  void TearDown() override { EXPECT_EQ(system(("rm -rf '" + dir_ + "'").c_str()), 0); }

  struct stat Stat(const std::string& path) {
    struct stat st = {};
    EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
    return st;
  }
  std::string Want() const { return cache_ + "/runsc-12345678"; }

  // The copy, made and checked to be in 2 MiB folios, with its page cache
  // then dropped (as a host's reclaim would).
  std::string CopyThenEvict() {
    absl::StatusOr<std::string> copy = CachedBinary(source_, cache_);
    EXPECT_TRUE(copy.ok()) << copy.status();
    if (!copy.ok()) return Want();
    EXPECT_EQ(MapAndTouch(*copy, /*madvise_huge=*/false), 4096);
    Evict(*copy);
    return *copy;
  }
  static constexpr char kNoMending[] =
      "no large folios under TEST_TMPDIR, or no PAGEMAP_SCAN (Linux 6.7) to find small ones";
  static constexpr char kReadaheadIsHuge[] =
      "this kernel's fault readahead reads a file back in 2 MiB folios by itself";

  std::string dir_, source_, cache_;
  bool large_folios_ = false;
  bool page_map_scan_ = false;
};

TEST_F(BinaryCacheTest, TheCopyIsTheLoadedPartMadeOnceAndReused) {
  if (!CopiesMadeHere()) GTEST_SKIP() << kNoCopies;
  absl::StatusOr<std::string> copy = CachedBinary(source_, cache_);
  ASSERT_TRUE(copy.ok()) << copy.status();
  EXPECT_EQ(*copy, Want());
  struct stat st = Stat(*copy);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0555u);
  EXPECT_EQ(static_cast<size_t>(st.st_size), 5 * kMiB + 4096);
  EXPECT_EQ(Stat(cache_).st_mode & 07777, 0700u);
  const std::string original = ReadFileOrEmpty(source_);
  const std::string copied = ReadFileOrEmpty(*copy);
  ASSERT_EQ(copied.size(), 5 * kMiB + 4096);
  EXPECT_TRUE(copied == original.substr(0, copied.size())) << "the copy's bytes differ";

  absl::StatusOr<std::string> again = CachedBinary(source_, cache_);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *copy);
  EXPECT_EQ(Stat(*again).st_ino, st.st_ino) << "a sound copy was made again";
  // Nothing else was left: no temporary file.
  EXPECT_EQ(system(("test $(ls -A '" + cache_ + "' | wc -l) -eq 1").c_str()), 0);
}

TEST_F(BinaryCacheTest, AnythingElseAtTheNameIsReplaced) {
  if (!CopiesMadeHere()) GTEST_SKIP() << kNoCopies;
  ASSERT_TRUE(CachedBinary(source_, cache_).ok());
  // Cut short (as by a writer that did not sync, were it ever renamed).
  ASSERT_EQ(truncate(Want().c_str(), kMiB), 0);
  absl::StatusOr<std::string> copy = CachedBinary(source_, cache_);
  ASSERT_TRUE(copy.ok()) << copy.status();
  EXPECT_EQ(static_cast<size_t>(Stat(Want()).st_size), 5 * kMiB + 4096);

  // Writable by its group.
  ASSERT_EQ(chmod(Want().c_str(), 0575), 0);
  ASSERT_TRUE(CachedBinary(source_, cache_).ok());
  EXPECT_EQ(Stat(Want()).st_mode & 07777, 0555u);

  // A symlink to another file: the link goes, its target is not touched.
  const std::string other = dir_ + "/other";
  ASSERT_TRUE(WriteFileAtomically(other, "not runsc").ok());
  ASSERT_EQ(unlink(Want().c_str()), 0);
  ASSERT_EQ(symlink(other.c_str(), Want().c_str()), 0);
  ASSERT_TRUE(CachedBinary(source_, cache_).ok());
  EXPECT_TRUE(S_ISREG(Stat(Want()).st_mode));
  EXPECT_EQ(ReadFileOrEmpty(other), "not runsc");
}

// Other builds' copies go once unused (their access time) for an hour,
// writers' leftovers once an hour old, markers once a day old; nothing
// else.
TEST_F(BinaryCacheTest, OtherBuildsCopiesGoOnceUnusedAnHour) {
  if (!CopiesMadeHere()) GTEST_SKIP() << kNoCopies;
  ASSERT_EQ(mkdir(cache_.c_str(), 0700), 0);
  auto make = [&](const std::string& name, time_t used, time_t written) {
    const std::string path = cache_ + "/" + name;
    EXPECT_TRUE(WriteFileAtomically(path, "x").ok());
    SetAges(path, used, written);
  };
  const time_t kHours2 = 2 * 3600;
  make("runsc-0aa", kHours2, kHours2);
  make("runsc-0bb", 60, kHours2);  // written long ago, used a minute ago
  make("runsc-0cc.small", 25 * 3600, 25 * 3600);  // a marker lives a day
  make("runsc-0dd.small", kHours2, kHours2);
  make(".runsc-0aa.4242.tmp", kHours2, kHours2);
  make(".runsc-0bb.4243.tmp", 60, 60);
  make("runsc-notes", kHours2, kHours2);  // not a build id
  make("unrelated", kHours2, kHours2);
  ASSERT_TRUE(CachedBinary(source_, cache_).ok());
  for (const char* gone : {"runsc-0aa", "runsc-0cc.small", ".runsc-0aa.4242.tmp"}) {
    EXPECT_NE(access((cache_ + "/" + gone).c_str(), F_OK), 0) << gone;
  }
  for (const char* kept :
       {"runsc-0bb", "runsc-0dd.small", ".runsc-0bb.4243.tmp", "runsc-notes", "unrelated"}) {
    EXPECT_EQ(access((cache_ + "/" + kept).c_str(), F_OK), 0) << kept;
  }
  EXPECT_EQ(access(Want().c_str(), F_OK), 0);
}

// Its mode is its own, whatever the caller's umask.
TEST_F(BinaryCacheTest, TheCopysModeIgnoresTheUmask) {
  if (!CopiesMadeHere()) GTEST_SKIP() << kNoCopies;
  const mode_t old = umask(077);
  absl::StatusOr<std::string> copy = CachedBinary(source_, cache_);
  umask(old);
  ASSERT_TRUE(copy.ok()) << copy.status();
  EXPECT_EQ(Stat(*copy).st_mode & 07777, 0555u);
}

// Every directory on the way must be safe from other users: a name another
// user could replace would let them choose what root execs. A sticky one
// (as /tmp) is, a symlink is not followed.
TEST_F(BinaryCacheTest, NoCopyUnderADirectoryOthersMayWriteOrASymlink) {
  const std::string open_dir = dir_ + "/open";
  ASSERT_EQ(mkdir(open_dir.c_str(), 0777), 0);
  ASSERT_EQ(chmod(open_dir.c_str(), 0777), 0);
  absl::StatusOr<std::string> copy = CachedBinary(source_, open_dir + "/cache");
  EXPECT_EQ(copy.status().code(), absl::StatusCode::kFailedPrecondition) << copy.status();
  EXPECT_NE(copy.status().message().find("'" + open_dir + "' is not safe"), std::string::npos)
      << copy.status();
  EXPECT_NE(access((open_dir + "/cache").c_str(), F_OK), 0) << "made under an unsafe parent";

  const std::string link = dir_ + "/link";
  ASSERT_EQ(symlink(dir_.c_str(), link.c_str()), 0);
  copy = CachedBinary(source_, link + "/cache");
  EXPECT_FALSE(copy.ok());
  EXPECT_NE(copy.status().message().find("symlinks are not followed"), std::string::npos)
      << copy.status();
  EXPECT_EQ(CachedBinary(source_, "relative/cache").status().code(),
            absl::StatusCode::kInvalidArgument);

  if (!CopiesMadeHere()) return;
  ASSERT_EQ(chmod(open_dir.c_str(), 01777), 0);
  copy = CachedBinary(source_, open_dir + "/cache");
  EXPECT_TRUE(copy.ok()) << "a sticky directory above: " << copy.status();
}

TEST_F(BinaryCacheTest, NoCopyInADirectoryOthersMayWrite) {
  ASSERT_EQ(mkdir(cache_.c_str(), 0700), 0);
  for (mode_t mode : {0777, 01777, 0720}) {
    ASSERT_EQ(chmod(cache_.c_str(), mode), 0);
    absl::StatusOr<std::string> copy = CachedBinary(source_, cache_);
    EXPECT_EQ(copy.status().code(), absl::StatusCode::kFailedPrecondition) << copy.status();
    EXPECT_NE(copy.status().message().find("'" + cache_ + "' is not safe"), std::string::npos)
        << copy.status();
    EXPECT_NE(access(Want().c_str(), F_OK), 0);
  }
}

// Each use sets the copy's access time: what keeps another build's cleanup
// off a copy in use.
TEST_F(BinaryCacheTest, AUseSetsTheCopysAccessTime) {
  if (!CopiesMadeHere()) GTEST_SKIP() << kNoCopies;
  absl::StatusOr<std::string> copy = CachedBinary(source_, cache_);
  ASSERT_TRUE(copy.ok()) << copy.status();
  SetAges(*copy, 7200, 7200);
  const time_t written = Stat(*copy).st_mtime;
  ASSERT_TRUE(CachedBinary(source_, cache_).ok());
  const struct stat st = Stat(*copy);
  EXPECT_GE(st.st_atime, time(nullptr) - 60);
  EXPECT_EQ(st.st_mtime, written) << "a use is not a writing";
}

TEST_F(BinaryCacheTest, NoCopyOnATmpfs) {
  struct statfs fs;
  if (statfs("/dev/shm", &fs) != 0 || fs.f_type != TMPFS_MAGIC) {
    GTEST_SKIP() << "no tmpfs at /dev/shm to try";
  }
  char templ[] = "/dev/shm/binary-cache-XXXXXX";
  ASSERT_NE(mkdtemp(templ), nullptr);
  absl::StatusOr<std::string> copy = CachedBinary(source_, std::string(templ) + "/cache");
  EXPECT_EQ(copy.status().code(), absl::StatusCode::kFailedPrecondition) << copy.status();
  EXPECT_NE(copy.status().message().find("tmpfs"), std::string::npos) << copy.status();
  rmdir((std::string(templ) + "/cache").c_str());
  EXPECT_EQ(rmdir(templ), 0);
}

TEST_F(BinaryCacheTest, ASourceWithoutABuildIdHasNoCopy) {
  const std::string plain = WriteElf(dir_ + "/plain", 3 * kMiB, 0);
  EXPECT_EQ(CachedBinary(plain, cache_).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(CachedBinary(dir_ + "/missing", cache_).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(BinaryCacheTest, TheCopysPageCacheIsInPmdFoliosWhereTheFilesystemHasThem) {
  if (!large_folios_) GTEST_SKIP() << kNoCopies;
  absl::StatusOr<std::string> copy = CachedBinary(source_, cache_);
  ASSERT_TRUE(copy.ok()) << copy.status();
  EXPECT_EQ(MapAndTouch(*copy, /*madvise_huge=*/false), 4096)
      << "both 2 MiB blocks of the text should be PMD-mapped";
}

// The kernel dropped the copy's page cache and an exec read it back in
// small folios: the next call mends it in place (no new copy).
TEST_F(BinaryCacheTest, ACopyReadBackInSmallFoliosIsMendedInPlace) {
  if (!large_folios_ || !page_map_scan_) GTEST_SKIP() << kNoMending;
  const std::string copy = CopyThenEvict();
  const ino_t ino = Stat(copy).st_ino;
  if (MapAndTouch(copy, /*madvise_huge=*/false) != 0) GTEST_SKIP() << kReadaheadIsHuge;
  ASSERT_TRUE(CachedBinary(source_, cache_).ok());
  EXPECT_EQ(Stat(copy).st_ino, ino) << "mended by a new copy, not in place";
  EXPECT_EQ(MapAndTouch(copy, /*madvise_huge=*/false), 4096);
}

// Blocks a running sandbox maps in small folios cannot be mended: a new copy
// takes the name, but only once the old one is ten minutes old.
TEST_F(BinaryCacheTest, ACopyHeldInSmallFoliosIsMadeAgainOnceTenMinutesOld) {
  if (!large_folios_ || !page_map_scan_) GTEST_SKIP() << kNoMending;
  const std::string copy = CopyThenEvict();
  const ino_t ino = Stat(copy).st_ino;
  Mapped sandbox(copy, /*madvise_huge=*/false);
  if (sandbox.PmdKiB() != 0) GTEST_SKIP() << kReadaheadIsHuge;
  ASSERT_TRUE(CachedBinary(source_, cache_).ok());
  EXPECT_EQ(Stat(copy).st_ino, ino) << "a young copy was made again";
  SetAges(copy, 11 * 60, 11 * 60);
  ASSERT_TRUE(CachedBinary(source_, cache_).ok());
  EXPECT_NE(Stat(copy).st_ino, ino) << "the old copy was kept";
  EXPECT_EQ(MapAndTouch(copy, /*madvise_huge=*/false), 4096);
  EXPECT_EQ(sandbox.PmdKiB(), 0) << "the running sandbox's mapping changed";
}

// Without PAGEMAP_SCAN the smaps total says as much: nothing small in a
// fresh copy, something once a mapping holds a block small.
TEST_F(BinaryCacheTest, SmapsAndPageMapScanAgree) {
  if (!large_folios_ || !page_map_scan_) GTEST_SKIP() << kNoMending;
  const std::string copy = CopyThenEvict();
  constexpr size_t kLength = 5 * kMiB + 4096;
  {
    // Read back in 2 MiB folios by the next call.
    ASSERT_TRUE(CachedBinary(source_, cache_).ok());
    UniqueFd fd(open(copy.c_str(), O_RDONLY | O_CLOEXEC));
    for (bool scan : {true, false}) {
      std::optional<internal::Blocks> blocks = internal::SmallBlocks(fd.get(), kLength, scan);
      ASSERT_TRUE(blocks.has_value()) << scan;
      EXPECT_TRUE(blocks->small.empty()) << scan;
      EXPECT_TRUE(blocks->any_huge) << scan;
    }
  }
  Evict(copy);
  Mapped sandbox(copy, /*madvise_huge=*/false);
  if (sandbox.PmdKiB() != 0) GTEST_SKIP() << kReadaheadIsHuge;
  UniqueFd fd(open(copy.c_str(), O_RDONLY | O_CLOEXEC));
  for (bool scan : {true, false}) {
    std::optional<internal::Blocks> blocks = internal::SmallBlocks(fd.get(), kLength, scan);
    ASSERT_TRUE(blocks.has_value()) << scan;
    EXPECT_EQ(blocks->small, (std::vector<off_t>{0, 2 << 20})) << scan;
    EXPECT_FALSE(blocks->any_huge) << scan;
  }
}

// A marker a day old is not heeded: the copy is tried again.
TEST_F(BinaryCacheTest, AMarkerADayOldIsTriedAgain) {
  if (!large_folios_) GTEST_SKIP() << kNoCopies;
  ASSERT_EQ(mkdir(cache_.c_str(), 0700), 0);
  const std::string marker = Want() + ".small";
  ASSERT_TRUE(WriteFileAtomically(marker, "").ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(CachedBinary(source_, cache_).status()));
  SetAges(marker, 25 * 3600, 25 * 3600);
  absl::StatusOr<std::string> copy = CachedBinary(source_, cache_);
  ASSERT_TRUE(copy.ok()) << copy.status();
  EXPECT_NE(access(marker.c_str(), F_OK), 0);
}

// On a filesystem without large folios (ext4 with data=journal, mounted
// from a loop device in a mount namespace of a child's own) the copy gains
// nothing: a marker says so to later calls, which run the binary itself.
TEST_F(BinaryCacheTest, AFilesystemWithoutLargeFoliosGetsAMarkerNotACopy) {
  if (access("/dev/loop-control", F_OK) != 0) GTEST_SKIP() << "no loop devices here";
  if (geteuid() != 0) GTEST_SKIP() << "a loop mount needs root";
  // Bazel's PATH for tests leaves sbin out.
  const std::string mkfs = "/usr/sbin/mkfs.ext4";
  if (access(mkfs.c_str(), X_OK) != 0) GTEST_SKIP() << "no " << mkfs << " (e2fsprogs) here";
  const std::string image = dir_ + "/ext4.img", mnt = dir_ + "/mnt";
  ASSERT_EQ(mkdir(mnt.c_str(), 0700), 0);
  ASSERT_EQ(system(("truncate -s 64M " + image + " && " + mkfs + " -q -F " + image).c_str()), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (unshare(CLONE_NEWNS) != 0 ||
        mount(nullptr, "/", nullptr, MS_PRIVATE | MS_REC, nullptr) != 0 ||
        system(("mount -o loop,data=journal " + image + " " + mnt).c_str()) != 0) {
      _exit(10);
    }
    const std::string cache = mnt + "/cache";
    absl::StatusOr<std::string> copy = CachedBinary(source_, cache);
    if (copy.ok() || !absl::IsFailedPrecondition(copy.status())) _exit(11);
    // The copy stays, for a caller that took it meanwhile.
    if (access((cache + "/runsc-12345678").c_str(), F_OK) != 0) _exit(12);
    if (access((cache + "/runsc-12345678.small").c_str(), F_OK) != 0) _exit(13);
    absl::StatusOr<std::string> again = CachedBinary(source_, cache);
    if (again.status().message().find("says so") == std::string::npos) _exit(14);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "10: mount, 11: a copy made or another error, 12: the "
                                       "copy gone, 13: no marker, 14: the marker not heeded";
}

}  // namespace
}  // namespace runsc::util
