// Root test: idmap user namespaces are made once per distinct mapping, and
// the key ignores the order of the mapping's lines.
#include <sys/stat.h>

#include <string>

#include "gtest/gtest.h"
#include "sandbox/userns_cache.h"
#include "test/sandbox_test_util.h"

namespace runsc::testing {
namespace {

using specutils::IdMapping;

std::string NsInode(int ns_fd) {
  // A namespace is identified by its inode.
  struct stat st;
  fstat(ns_fd, &st);
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
  EXPECT_EQ(*first, *again);
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

}  // namespace
}  // namespace runsc::testing
