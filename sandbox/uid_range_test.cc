#include "sandbox/uid_range.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "runsc/util/test_dirs.h"
#include "runsc/util/unique_fd.h"

namespace runsc::sandbox {
namespace {

using util::TempDir;

TEST(UidRangeTest, RangesAreDisjointAndNeverHostRoot) {
  TempDir temp("uidrange");
  UidRangeAllocator alloc(temp.path() + "/ranges");
  std::set<uint32_t> bases;
  for (int i = 0; i < 50; ++i) {
    auto range = alloc.Allocate("box" + std::to_string(i));
    ASSERT_TRUE(range.ok()) << range.status();
    EXPECT_GE(range->host_base, UidRangeAllocator::kFirstHostId);
    EXPECT_EQ(range->host_base % UidRange::kSize, 0u);
    uint64_t end = uint64_t{range->host_base} + UidRange::kSize;
    EXPECT_LE(end, 0xFFFFFFFFull);  // (uid_t)-1 is never inside
    EXPECT_TRUE(bases.insert(range->host_base).second) << "range handed out twice";
  }
  auto held = alloc.List();
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(held->size(), 50u);
}

TEST(UidRangeTest, ReleaseFreesTheSlotAndListNamesOwners) {
  TempDir temp("uidrange");
  UidRangeAllocator alloc(temp.path() + "/ranges");
  auto a = alloc.Allocate("alpha");
  ASSERT_TRUE(a.ok());
  auto held = alloc.List();
  ASSERT_TRUE(held.ok());
  ASSERT_EQ(held->size(), 1u);
  EXPECT_EQ((*held)[0].second, "alpha");
  EXPECT_EQ((*held)[0].first.host_base, a->host_base);
  ASSERT_TRUE(alloc.Release(*a).ok());
  EXPECT_TRUE(alloc.List()->empty());
  EXPECT_TRUE(alloc.Release(*a).ok());  // idempotent
}

// A release that comes after its slot was freed and taken again (a
// sandbox deleted twice: by the CLI on the daemon's state root, then by the
// daemon, whose table still held it) must leave the new holder's slot
// alone: freeing it would hand the live sandbox's host ids to the next one.
TEST(UidRangeTest, AStaleReleaseLeavesTheSlotOfItsNewHolder) {
  TempDir temp("uidrange");
  const std::string dir = temp.path() + "/ranges";
  UidRangeAllocator alloc(dir);
  absl::StatusOr<UidRange> a = alloc.Allocate("alpha");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(alloc.Release(*a).ok());
  // Another holder takes the same slot, as an allocator does.
  const std::string slot = dir + "/" + std::to_string(a->slot);
  {
    std::ofstream taken(slot);
    taken << "beta 00000000000000ff\n";
  }
  EXPECT_TRUE(alloc.Release(*a).ok());
  absl::StatusOr<std::vector<std::pair<UidRange, std::string>>> held = alloc.List();
  ASSERT_TRUE(held.ok());
  ASSERT_EQ(held->size(), 1u) << "the new holder's slot was freed";
  EXPECT_EQ((*held)[0].second, "beta");
  EXPECT_EQ((*held)[0].first.slot, a->slot);
  // Its own holder frees it.
  ASSERT_TRUE(alloc.Release((*held)[0].first).ok());
  EXPECT_TRUE(alloc.List()->empty());
}

// A range recorded by a build before the slot's token has none: its release
// frees the slot as it always did.
TEST(UidRangeTest, ARangeWithoutATokenIsReleasedUnchecked) {
  TempDir temp("uidrange");
  UidRangeAllocator alloc(temp.path() + "/ranges");
  absl::StatusOr<UidRange> a = alloc.Allocate("alpha");
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(a->token.empty());
  ASSERT_TRUE(alloc.Release(UidRangeAllocator::RangeOfSlot(a->slot)).ok());
  EXPECT_TRUE(alloc.List()->empty());
}

// Two releases of one range (the CLI's and the daemon's delete of one
// sandbox) racing a new holder of its slot: whichever order they come in,
// the new holder keeps the slot. (Checking the token and then unlinking by
// name let the second release unlink the new holder's file, were it
// linked between the two steps.)
TEST(UidRangeTest, RacingReleasesNeverFreeANewHoldersSlot) {
  TempDir temp("uidrange");
  const std::string dir = temp.path() + "/ranges";
  UidRangeAllocator alloc(dir);
  for (int round = 0; round < 5000; ++round) {
    absl::StatusOr<UidRange> a = alloc.Allocate("alpha");
    ASSERT_TRUE(a.ok()) << a.status();
    const std::string slot = dir + "/" + std::to_string(a->slot);
    std::atomic<bool> linked{false};
    std::thread first([&] { EXPECT_TRUE(alloc.Release(*a).ok()); });
    std::thread second([&] { EXPECT_TRUE(alloc.Release(*a).ok()); });
    // A new holder takes the slot as soon as it is free, as Allocate does.
    std::thread holder([&] {
      util::UniqueFd fd(open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600));
      ASSERT_TRUE(fd);
      ASSERT_EQ(write(fd.get(), "gamma 1\n", 8), 8);
      const std::string self = "/proc/self/fd/" + std::to_string(fd.get());
      while (linkat(AT_FDCWD, self.c_str(), AT_FDCWD, slot.c_str(), AT_SYMLINK_FOLLOW) != 0) {
        ASSERT_EQ(errno, EEXIST);
      }
      linked = true;
    });
    first.join();
    second.join();
    holder.join();
    ASSERT_TRUE(linked);
    std::ifstream held(slot);
    std::string text;
    std::getline(held, text);
    ASSERT_EQ(text, "gamma 1") << "round " << round
                               << ": a stale release freed the new holder's slot";
    ASSERT_EQ(unlink(slot.c_str()), 0);
  }
}

// Where the file system has no O_TMPFILE, each slot file comes from a named
// one, linked the same way and then removed.
TEST(UidRangeTest, WithoutUnnamedFilesSlotsStillNameTheirHolders) {
  TempDir temp("uidrange");
  const std::string dir = temp.path() + "/ranges";
  UidRangeAllocator alloc(dir, /*unnamed_files=*/false);
  absl::StatusOr<UidRange> a = alloc.Allocate("alpha");
  ASSERT_TRUE(a.ok()) << a.status();
  absl::StatusOr<UidRange> b = alloc.Allocate("beta");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_NE(a->slot, b->slot);
  std::ifstream held(dir + "/" + std::to_string(a->slot));
  std::string text;
  std::getline(held, text);
  EXPECT_EQ(text, a->token);
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    names.push_back(e.path().filename().string());
  }
  EXPECT_EQ(names.size(), 2u) << "a temporary file was left";
  ASSERT_TRUE(alloc.Release(*a).ok());
  ASSERT_TRUE(alloc.Release(*b).ok());
  EXPECT_TRUE(alloc.List()->empty());
}

TEST(UidRangeTest, ConcurrentAllocatorsNeverShareARange) {
  TempDir temp("uidrange");
  const std::string dir = temp.path() + "/ranges";
  absl::Mutex mu;
  std::vector<uint32_t> all;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      UidRangeAllocator alloc(dir);  // separate instances, shared directory
      for (int i = 0; i < 25; ++i) {
        auto range = alloc.Allocate("t" + std::to_string(t));
        ASSERT_TRUE(range.ok());
        absl::MutexLock lock(&mu);
        all.push_back(range->slot);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<uint32_t> unique(all.begin(), all.end());
  EXPECT_EQ(unique.size(), all.size());
}

}  // namespace
}  // namespace runsc::sandbox
