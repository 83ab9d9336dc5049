#include "runsc/flags.h"

#include <vector>

#include "gtest/gtest.h"

namespace runsc::cli {
namespace {

absl::StatusOr<ParsedFlags> Parse(std::vector<const char*> args, size_t passthrough = 1) {
  FlagSpec spec;
  spec.with_value = {"cwd", "env", "user"};
  spec.booleans = {"detach", "tty"};
  spec.aliases = {{"d", "detach"}, {"t", "tty"}, {"e", "env"}, {"u", "user"}};
  args.insert(args.begin(), "exec");
  return ParseFlags(static_cast<int>(args.size()), const_cast<char**>(args.data()), spec,
                    passthrough);
}

TEST(FlagsTest, ValuesBooleansAliasesAndPassthrough) {
  auto f = Parse({"-d", "--cwd=/tmp", "-e", "A=1", "--env", "B=2", "box", "sh", "-c", "x"});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_TRUE(f->Has("detach"));
  EXPECT_FALSE(f->Has("tty"));
  EXPECT_EQ(f->Get("cwd"), "/tmp");
  EXPECT_EQ(f->values.at("env"), (std::vector<std::string>{"A=1", "B=2"}));
  EXPECT_EQ(f->positional, (std::vector<std::string>{"box", "sh", "-c", "x"}));
}

TEST(FlagsTest, NoPassthroughParsesFlagsAfterPositionals) {
  auto f = Parse({"box", "--tty", "--cwd", "/x"}, kNoPassthrough);
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->Has("tty"));
  EXPECT_EQ(f->Get("cwd"), "/x");
  EXPECT_EQ(f->positional, (std::vector<std::string>{"box"}));
}

TEST(FlagsTest, ErrorsInRuncsWords) {
  EXPECT_EQ(Parse({"--bogus"}).status().message(), "flag provided but not defined: -bogus");
  EXPECT_EQ(Parse({"--cwd"}).status().message(), "flag needs an argument: -cwd");
  EXPECT_FALSE(Parse({"--tty=maybe"}).ok());
}

}  // namespace
}  // namespace runsc::cli
