// Root test: idmap user namespaces are made once per distinct mapping, the
// key ignores the order of the mapping's lines, and only the most recently
// used are kept.
#include <sys/stat.h>

#include <string>

#include "gtest/gtest.h"
#include "sandbox/userns_cache.h"
#include "test/sandbox_test_util.h"

namespace runsc::testing {
namespace {

using specutils::IdMapping;

std::string NsInode(const util::UniqueFd& ns_fd) {
  // A namespace is identified by its inode.
  struct stat st;
  if (fstat(ns_fd.get(), &st) != 0) return "closed";
  return std::to_string(st.st_ino);
}

TEST(UsernsCacheTest, OneNamespacePerMappingWhateverTheLineOrder) {
  sandbox::UsernsCache cache;
  std::vector<IdMapping> a = {{0, 2000000000u, 1000}, {1000, 2000001000u, 1000}};
  std::vector<IdMapping> a_reordered = {a[1], a[0]};
  std::vector<IdMapping> b = {{0, 2100000000u, 65536}};
  auto first = cache.Get(a, a);
  ASSERT_TRUE(first.ok()) << first.status();
  auto again = cache.Get(a_reordered, a_reordered);
  ASSERT_TRUE(again.ok());
  EXPECT_NE(first->get(), again->get()) << "each caller gets its own fd";
  EXPECT_EQ(NsInode(*first), NsInode(*again));
  EXPECT_EQ(cache.created(), 1);
  auto other = cache.Get(b, b);
  ASSERT_TRUE(other.ok());
  EXPECT_NE(NsInode(*first), NsInode(*other));
  EXPECT_EQ(cache.created(), 2);
  EXPECT_EQ(sandbox::UsernsCache::MappingKey(a, a),
            sandbox::UsernsCache::MappingKey(a_reordered, a_reordered));
  // Overlapping lines are refused before any namespace is made.
  EXPECT_FALSE(cache.Get({{0, 5, 10}, {5, 100, 10}}, b).ok());
  EXPECT_EQ(cache.created(), 2);
}

TEST(UsernsCacheTest, KeepsOnlyTheMostRecentlyUsedAndTheirFdsOutliveEviction) {
  sandbox::UsernsCache cache(2);
  std::vector<std::vector<IdMapping>> maps;
  for (uint32_t i = 0; i < 3; ++i) maps.push_back({{0, 2000000000u + i * 65536u, 65536}});
  auto a = cache.Get(maps[0], maps[0]);
  auto b = cache.Get(maps[1], maps[1]);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(cache.Get(maps[0], maps[0]).ok());  // a is now the newer
  auto c = cache.Get(maps[2], maps[2]);           // evicts b
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(cache.created(), 3);
  EXPECT_EQ(cache.size(), 2u);
  ASSERT_TRUE(cache.Get(maps[0], maps[0]).ok());
  EXPECT_EQ(cache.created(), 3) << "a was kept";
  auto b_again = cache.Get(maps[1], maps[1]);
  ASSERT_TRUE(b_again.ok());
  EXPECT_EQ(cache.created(), 4) << "b was evicted and made again";
  EXPECT_EQ(cache.size(), 2u);
  // The caller's fd of the evicted namespace still names it.
  EXPECT_NE(NsInode(*b), "closed");
  EXPECT_NE(NsInode(*b), NsInode(*b_again));
}

}  // namespace
}  // namespace runsc::testing
