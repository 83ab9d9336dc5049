#!/usr/bin/env bash
# Runs the whole test suite (`bazel test //...`, extra arguments are passed
# on) and ends with one line counted from the real gtest results:
#   N passed, N failed, N skipped
# A test target that produced no gtest XML (failed to build, crashed, timed
# out) counts as one failure. One more check is counted: that the suite
# left no sandbox's uid range or cgroup on the host. Root tests need real
# root: run this as root.
set -uo pipefail
cd "$(dirname "$0")/.."

# What a sandbox holds on the host beyond its processes: a uid range slot
# and cgroup directories. Whatever the suite adds and leaves is a leak (a
# test's teardown that missed a sandbox), counted below as one failed check.
host_leftovers() {
  ls /run/runsc/ranges 2>/dev/null | sed 's/^/uid range slot /'
  for dir in /sys/fs/cgroup/*/runsc/*/; do
    [ -d "$dir" ] && echo "cgroup $dir"
  done
}
before_suite=$(host_leftovers | sort)

bazel test //... "$@"
bazel_rc=$?

passed=0 failed=0 skipped=0
targets=$(bazel query 'tests(//...)' 2>/dev/null)
for target in $targets; do
  path=${target#//}
  path=${path/://}
  xml="bazel-testlogs/$path/test.xml"
  if [ ! -f "$xml" ] || ! grep -q '<testcase' "$xml"; then
    echo "test.sh: $target produced no test results" >&2
    failed=$((failed + 1))
    continue
  fi
  # One <testcase> element per gtest case; a failed one has a <failure>
  # child, a skipped one has result="skipped".
  t_total=$(grep -c '<testcase ' "$xml")
  t_skipped=$(grep -c '<testcase [^>]*result="skipped"' "$xml")
  t_failed=$(awk '/<testcase /{inside=1; bad=0}
                  inside && /<failure/{bad=1}
                  inside && (/<\/testcase>/ || /\/>$/){ if (bad) n++; inside=0 }
                  END{print n+0}' "$xml")
  passed=$((passed + t_total - t_skipped - t_failed))
  failed=$((failed + t_failed))
  skipped=$((skipped + t_skipped))
done

leaked=$(comm -13 <(echo "$before_suite") <(host_leftovers | sort))
if [ -n "$leaked" ]; then
  echo "test.sh: the suite left these on the host:" >&2
  echo "$leaked" >&2
  failed=$((failed + 1))
else
  passed=$((passed + 1))  # the host leak check
fi

# A failing bazel run with no failing case (e.g. a build error outside the
# tests) must not look green.
if [ "$bazel_rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "test.sh: bazel test exited $bazel_rc" >&2
  failed=1
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
