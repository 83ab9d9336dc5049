#!/usr/bin/env bash
# The benchmark suite: runsc side by side with runc, crun, gVisor's runsc
# (/usr/bin/runsc) and bubblewrap, in one run, on one busybox-static bundle.
# Writes docs/benchmarks.md (medians, min-max, ratios) and
# docs/benchmarks.png (the latency distributions).
#
#   tools/bench/run.sh              the full run (100 runs a scenario, N=200)
#   tools/bench/run.sh --quick      under 2 minutes (20 runs, N=20)
#   tools/bench/run.sh --density N  only this: N idle sandboxes at once via
#                                   the API, each then answering an Exec; it
#                                   updates the density section of the report
#
# Needs root. Installs the peers from Debian if they are missing. Not part of
# the test suite: speed is measured here, never asserted in a test.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

QUICK=0 DENSITY=0
[ "${1:-}" = "--quick" ] && QUICK=1
[ "${1:-}" = "--density" ] && DENSITY=${2:?--density needs a number}
if [ "$QUICK" = 1 ]; then RUNS=20 N=20 TP=50; else RUNS=100 N=200 TP=200; fi

need=()
for pkg_bin in runc:runc crun:crun bubblewrap:bwrap hyperfine:hyperfine runsc:/usr/bin/runsc \
               busybox-static:busybox gcc:gcc; do
  command -v "${pkg_bin#*:}" >/dev/null || need+=("${pkg_bin%%:*}")
done
/usr/bin/python3 -c 'import matplotlib' 2>/dev/null || need+=(python3-matplotlib)
if [ ${#need[@]} -gt 0 ]; then
  apt-get install -y "${need[@]}" >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y "${need[@]}" >/dev/null; }
fi

bazel build //runsc //tools/bench:api_bench >/dev/null 2>&1 || bazel build //runsc //tools/bench:api_bench
RUNSC=$ROOT/bazel-bin/runsc/runsc
API_BENCH=$ROOT/bazel-bin/tools/bench/api_bench
# gVisor's default network would configure interfaces from the host's
# namespace; none gives it loopback only, as runsc's sandboxes have.
GVISOR="/usr/bin/runsc --network=none"
W=$(mktemp -d /tmp/runsc-bench.XXXXXX)
# State roots under /run, where every runtime keeps them by default: a
# tmpfs on a systemd host, this machine kind's ext4 root here (section 7
# measures the daemon on a tmpfs too).
S=$(mktemp -d /run/runsc-bench.XXXXXX)
T=  # the tmpfs of section 7, while mounted
OUT=$W/out
mkdir -p "$OUT"
gcc -O2 -o "$W/floor" tools/bench/floor.c

# crun refuses hybrid cgroups while cgroup2 offers any controller ("cgroups
# in hybrid mode not supported"); on this machine kind that is hugetlb
# alone. Binding hugetlb to a v1 hierarchy for the run lets crun run; every
# runtime then sees the same cgroup layout. Undone at the end.
# A controller moves to a v1 hierarchy only while no cgroup of the unified
# one has it: a container made with hugepageLimits (a test's) delegated it
# down the tree, and that stays (runc leaves it too). Taken back, deepest
# first, where nothing uses it; a write refused leaves it, and crun's rows
# then say why they are missing.
MOUNTED_HUGETLB=0
if [ "$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null)" = "hugetlb" ] &&
   ! grep -q ' /sys/fs/cgroup/hugetlb ' /proc/mounts; then
  find /sys/fs/cgroup/unified -depth -name cgroup.subtree_control 2>/dev/null |
    while read -r f; do
      if grep -qw hugetlb "$f"; then echo -hugetlb > "$f" 2>/dev/null || true; fi
    done
  mkdir -p /sys/fs/cgroup/hugetlb
  if mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb; then
    MOUNTED_HUGETLB=1
  else
    rmdir /sys/fs/cgroup/hugetlb
  fi
fi

# gVisor's runsc chowns its stdio to its sandbox's user, nobody: given the
# host's /dev/null (hyperfine's stdin), it leaves that owned by nobody.
# Its owner and group are put back at the end.
NULL_OWNER=$(stat -c %u:%g /dev/null)

DAEMON_PID=
cleanup() {
  [ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
  for rt in "$RUNSC --root $S/state" "runc --root $S/runc" "crun --root $S/crun" \
            "$GVISOR --root $S/gvisor"; do
    for id in $($rt list -q 2>/dev/null); do $rt delete --force "$id" >/dev/null 2>&1 || true; done
  done
  # Whatever a peer failed to delete (gVisor's sandbox and gofer carry
  # their --root on the command line) must not outlive the run.
  pkill -KILL -f -- "--root=$S/" 2>/dev/null || true
  [ -n "$T" ] && umount "$T" 2>/dev/null && rmdir "$T"
  rm -rf "$W" "$S"
  chown "$NULL_OWNER" /dev/null 2>/dev/null
  if [ "$MOUNTED_HUGETLB" = 1 ]; then
    umount /sys/fs/cgroup/hugetlb 2>/dev/null && rmdir /sys/fs/cgroup/hugetlb 2>/dev/null
  fi
  return 0
}
trap cleanup EXIT

# One bundle layout for every runtime: busybox-static, `runsc spec`'s config
# (runc's), no terminal.
make_bundle() {  # DIR ARGS...
  local dir=$1; shift
  mkdir -p "$dir/rootfs/bin" "$dir/rootfs/proc" "$dir/rootfs/dev" "$dir/rootfs/sys" "$dir/rootfs/tmp"
  cp /bin/busybox "$dir/rootfs/bin/busybox"
  for a in sh true sleep; do ln -sf busybox "$dir/rootfs/bin/$a"; done
  (cd "$dir" && "$RUNSC" spec)
  /usr/bin/python3 - "$dir/config.json" "$@" <<'EOF'
import json, sys
path, args = sys.argv[1], sys.argv[2:]
spec = json.load(open(path))
spec["process"]["terminal"] = False
spec["process"]["args"] = args
json.dump(spec, open(path, "w"), indent=1)
EOF
}
make_bundle "$W/true" /bin/true
make_bundle "$W/sleep" /bin/sleep 100000

# A runtime is benchmarked only if it can run the bundle here; otherwise its
# error goes into the report.
declare -A ONESHOT
ONESHOT["runsc run"]="$RUNSC --root $S/state run --bundle $W/true b"
ONESHOT["runc run"]="runc --root $S/runc run --bundle $W/true b"
ONESHOT["crun run"]="crun --root $S/crun run --bundle $W/true b"
ONESHOT["gVisor runsc run"]="$GVISOR --root $S/gvisor run --bundle $W/true b"
ONESHOT["bwrap"]="bwrap --unshare-all --die-with-parent --ro-bind $W/true/rootfs / --proc /proc --dev /dev /bin/true"
: > "$OUT/failures.txt"
args=() ran=()
for name in "runsc run" "crun run" "runc run" "gVisor runsc run" "bwrap"; do
  if err=$(${ONESHOT[$name]} </dev/null 2>&1 >/dev/null); then
    args+=(-n "$name" "${ONESHOT[$name]}")
    ran+=("$name")
  else
    printf '%s\t%s\n' "$name" "$(echo "$err" | tail -n 1)" >> "$OUT/failures.txt"
  fi
done

start_daemon() {  # [STATE_DIR (under $S unless absolute) [DAEMON_FLAGS...]]
  local state=${1:-dstate}
  shift || true
  [[ $state == /* ]] || state=$S/$state
  "$RUNSC" --root "$state" daemon --socket "$W/d.sock" --max-sandboxes $((DENSITY + 1024)) \
    "$@" 2>"$W/daemon.log" &
  DAEMON_PID=$!
  for _ in $(seq 100); do [ -S "$W/d.sock" ] && break; sleep 0.05; done
}
stop_daemon() {
  kill "$DAEMON_PID" && wait "$DAEMON_PID" 2>/dev/null
  DAEMON_PID=
  rm -f "$W/d.sock"
}
api() { "$API_BENCH" --socket "$W/d.sock" --bundle "$W/true" --sleep-bundle "$W/sleep" "$@"; }

if [ "$DENSITY" != 0 ]; then
  echo "== density: $DENSITY idle sandboxes (${SECONDS}s)" >&2
  start_daemon
  begin=$(date +%s)
  api --scenario idle --n "$DENSITY" --label runsc --out "$OUT/density.json"
  /usr/bin/python3 - "$OUT/density.json" "$(( $(date +%s) - begin ))" > docs/benchmarks-density.json <<'EOF'
import datetime, json, sys
doc = json.load(open(sys.argv[1]))
doc["summary"]["seconds"] = int(sys.argv[2])
doc["summary"]["date"] = datetime.date.today().isoformat()
doc["summary"]["command"] = "tools/bench/run.sh --density %d" % int(doc["summary"]["n"])
print(json.dumps(doc["summary"], indent=1))
EOF
  /usr/bin/python3 tools/bench/report.py --density-only docs/benchmarks-density.json \
    --out docs/benchmarks.md "$OUT"
  echo "updated docs/benchmarks.md (density)" >&2
  exit 0
fi

echo "== floor (${SECONDS}s)" >&2
"$W/floor" -n $((RUNS * 2)) --json > "$OUT/floor.json"
"$W/floor" -n $((RUNS * 2)) --net --json > "$OUT/floor_net.json"

echo "== one-shot, CLI (${SECONDS}s)" >&2
hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$OUT/oneshot_cli.json" "${args[@]}" >&2
# runsc run against crun again, run in turn (ABBA) rather than in blocks, so
# that the machine's drift between two blocks cannot decide the target.
if [[ " ${ran[*]} " == *" crun run "* ]]; then
  echo "== one-shot, runsc run and crun run in turn (${SECONDS}s)" >&2
  # With them, runsc run whose sandboxes exec the binary itself rather than
  # the copy in the binary cache (runsc/util/binary_cache.h).
  /usr/bin/python3 tools/bench/interleave.py --runs "$RUNS" --out "$OUT/oneshot_turns.json" \
    "runsc run" "${ONESHOT[runsc run]}" "crun run" "${ONESHOT[crun run]}" \
    "runsc run, --binary-cache off" "$RUNSC --binary-cache off --root $S/state run --bundle $W/true b" >&2 ||
    printf 'runsc run and crun run in turn\tfailed\n' >> "$OUT/failures.txt"
  # crun writes a pid to cgroup.procs, which waits for an RCU grace period
  # unless another such write came within the last one: crun run right
  # after crun run (hyperfine's block) skips that wait, crun run after a
  # pause does not. Measured here so that the report can show it.
  echo "== crun run after a 15 ms pause (${SECONDS}s)" >&2
  /usr/bin/python3 tools/bench/interleave.py --runs "$RUNS" --pause-ms 15 \
    --out "$OUT/crun_paused.json" "crun run, 15 ms after the last" "${ONESHOT[crun run]}" >&2 ||
    printf 'crun run after a pause\tfailed\n' >> "$OUT/failures.txt"
fi

echo "== exec, CLI (${SECONDS}s)" >&2
declare -A EXEC START
START["runsc exec"]="$RUNSC --root $S/state run --detach --bundle $W/sleep e"
EXEC["runsc exec"]="$RUNSC --root $S/state exec e /bin/true"
START["runc exec"]="runc --root $S/runc run --detach --bundle $W/sleep e"
EXEC["runc exec"]="runc --root $S/runc exec e /bin/true"
START["crun exec"]="crun --root $S/crun run --detach --bundle $W/sleep e"
EXEC["crun exec"]="crun --root $S/crun exec e /bin/true"
START["gVisor runsc exec"]="$GVISOR --root $S/gvisor run --detach --bundle $W/sleep e"
EXEC["gVisor runsc exec"]="$GVISOR --root $S/gvisor exec e /bin/true"
args=()
for name in "runsc exec" "crun exec" "runc exec" "gVisor runsc exec"; do
  # A detached container keeps the stdio it was given: never a pipe we
  # would wait on.
  if ${START[$name]} </dev/null >/dev/null 2>"$W/start.err" &&
     ${EXEC[$name]} </dev/null >/dev/null 2>"$W/start.err"; then
    args+=(-n "$name" "${EXEC[$name]}")
  else
    printf '%s\t%s\n' "$name" "$(tail -n 1 "$W/start.err")" >> "$OUT/failures.txt"
  fi
done
# The exec floor: hyperfine -N's own fork, execve and wait of the bundle's
# /bin/true on the host, with no sandbox: what any exec costs at least.
args+=(-n "exec floor" "$W/true/rootfs/bin/true")
hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$OUT/exec_cli.json" "${args[@]}" >&2
# `state` of the same running containers: what a container engine asks
# most (podman and containerd's shims call it around every step).
args=()
for name in "runsc exec" "crun exec" "runc exec" "gVisor runsc exec"; do
  cmd="${EXEC[$name]% exec e /bin/true} state e"
  if $cmd >/dev/null 2>"$W/start.err"; then
    args+=(-n "${name% exec} state" "$cmd")
  else
    printf '%s\t%s\n' "${name% exec} state" "$(tail -n 1 "$W/start.err")" >> "$OUT/failures.txt"
  fi
done
[ ${#args[@]} -gt 0 ] &&
  hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$OUT/state_cli.json" "${args[@]}" >&2
for rt in "$RUNSC --root $S/state" "runc --root $S/runc" "crun --root $S/crun" "$GVISOR --root $S/gvisor"; do
  $rt delete --force e >/dev/null 2>&1 || true
done

echo "== API (${SECONDS}s)" >&2
start_daemon
# Where the default (auto) put the binary the sandboxes run: the report says.
if grep -q " $S/dstate/.binary " /proc/self/mountinfo; then
  echo "host" > "$OUT/binary_place.txt"
elif grep -q "sandboxes run the binary from disk" "$W/daemon.log"; then
  echo "disk" > "$OUT/binary_place.txt"
else
  echo "own namespace" > "$OUT/binary_place.txt"
fi
api --scenario oneshot --n "$RUNS" --label "runsc API one-shot" --out "$OUT/oneshot_api.json"
api --scenario oneshot-separate --n "$RUNS" --label "runsc API one-shot, separate Start" \
  --out "$OUT/oneshot_api_separate.json"
api --scenario oneshot-run --n "$RUNS" --label "runsc API one-shot, one RunSandbox call" \
  --out "$OUT/oneshot_api_run.json"
api --scenario exec --n $((RUNS * 5)) --label "runsc API exec" --out "$OUT/exec_api.json"
api --scenario get --n $((RUNS * 5)) --label "runsc API round trip (GetSandbox)" \
  --out "$OUT/get_api.json"
api --scenario create --n "$RUNS" --label "runsc API create-to-ready" --out "$OUT/create_api.json"
api --scenario throughput --n "$TP" --concurrency 8 --label "runsc API" --out "$OUT/throughput_api.json"
api --scenario idle --n "$N" --label "runsc" --out "$OUT/idle_runsc.json"
# A request that finds the daemon idle, without and then with a warm pool
# (a pool refills while the creates pause; back to back it drains).
PAUSE=25
api --scenario oneshot --n "$RUNS" --pause-ms $PAUSE \
  --label "runsc API one-shot, $PAUSE ms after the last" --out "$OUT/warm_cold_oneshot.json"
api --scenario create --n "$RUNS" --pause-ms $PAUSE \
  --label "runsc API create-to-ready, $PAUSE ms after the last" --out "$OUT/warm_cold_create.json"
stop_daemon
# The binary the sandboxes run from disk, against the default (auto), which
# copies it onto a tmpfs of huge pages wherever it can mount one safely: in
# turn (four rounds, ABBA, a daemon of each setting per round), since this
# VM's speed drifts within a run by more than the two differ.
echo "== API, binary from disk against the default, in turn (${SECONDS}s)" >&2
per=$(( (RUNS + 3) / 4 ))
for round in 1 2 3 4; do
  order="auto off"
  if [ $round = 2 ] || [ $round = 3 ]; then order="off auto"; fi
  for mode in $order; do
    start_daemon "dstate-$mode-$round" --binary-on-huge-pages=$mode
    label=", binary on huge pages, in turn"
    [ $mode = off ] && label=", binary from disk"
    api --scenario oneshot --n $per --label "runsc API one-shot$label" \
      --out "$OUT/turn_${mode}_oneshot_$round.json"
    api --scenario oneshot-run --n $per --label "runsc API one-shot, one RunSandbox call$label" \
      --out "$OUT/turn_${mode}_oneshot_run_$round.json"
    api --scenario create --n $per --label "runsc API create-to-ready$label" \
      --out "$OUT/turn_${mode}_create_$round.json"
    stop_daemon
  done
done
/usr/bin/python3 - "$OUT" <<'EOF'
import glob, json, os, sys
out = sys.argv[1]
for mode, prefix in (("off", "disk"), ("auto", "turn_auto")):
    for scenario in ("oneshot", "oneshot_run", "create"):
        merged = None
        for path in sorted(glob.glob(os.path.join(out, f"turn_{mode}_{scenario}_[0-9].json"))):
            doc = json.load(open(path))
            if merged is None:
                merged = doc
            else:
                merged["results"][0]["times"] += doc["results"][0]["times"]
        if merged is not None:
            json.dump(merged, open(os.path.join(out, f"{prefix}_{scenario}.json"), "w"))
EOF
# Throughput from disk, in a block of its own (a run of creates measures
# a moment of its own).
start_daemon dstate-disk --binary-on-huge-pages=off
api --scenario throughput --n "$TP" --concurrency 8 --label "runsc API, binary from disk" \
  --out "$OUT/disk_throughput.json"
stop_daemon
echo "== API, warm pool (${SECONDS}s)" >&2
start_daemon dstate-warm --warm-sandboxes 4
api --scenario oneshot --n "$RUNS" --pause-ms $PAUSE \
  --label "runsc API one-shot, warm pool, $PAUSE ms after the last" --out "$OUT/warm_oneshot.json"
api --scenario create --n "$RUNS" --pause-ms $PAUSE \
  --label "runsc API create-to-ready, warm pool, $PAUSE ms after the last" \
  --out "$OUT/warm_create.json"
api --scenario oneshot --n "$RUNS" --label "runsc API one-shot, warm pool, back to back" \
  --out "$OUT/warm_oneshot_b2b.json"
api --scenario oneshot-run --n "$RUNS" --pause-ms $PAUSE \
  --label "runsc API one-shot, one RunSandbox call, warm pool, $PAUSE ms after the last" \
  --out "$OUT/warm_oneshot_run.json"
stop_daemon
# The daemon's state root on a tmpfs, as /run is on a systemd host: this
# VM's /run is ext4 without a journal, whose inode allocator skips and
# rechecks every inode freed in the last 30 s (benchmarks-profile.md,
# eleventh and twelfth passes). The uid range slots stay in /run/runsc.
echo "== API, state root on a tmpfs (${SECONDS}s)" >&2
T=$(mktemp -d /tmp/runsc-bench-tmpfs.XXXXXX)
mount -t tmpfs -o size=256m,mode=0711 tmpfs "$T"
start_daemon "$T/dstate"
api --scenario oneshot --n "$RUNS" --label "runsc API one-shot, state on a tmpfs" \
  --out "$OUT/tmpfs_oneshot.json"
api --scenario throughput --n "$TP" --concurrency 8 --label "runsc API, state on a tmpfs" \
  --out "$OUT/tmpfs_throughput.json"
stop_daemon
start_daemon "$T/dstate-warm" --warm-sandboxes 4
api --scenario oneshot --n "$RUNS" --pause-ms $PAUSE \
  --label "runsc API one-shot, warm pool, $PAUSE ms after the last, state on a tmpfs" \
  --out "$OUT/tmpfs_warm_oneshot.json"
stop_daemon
umount "$T" && rmdir "$T" && T=
start_daemon

echo "== CPU per one-shot (${SECONDS}s)" >&2
# The machine's CPU time (every core, from /proc/stat: user, nice, system,
# irq and softirq; idle, iowait and steal left out) over RUNS one-shots of
# each runtime, less what the machine burns while idle over the same time.
# Kernel threads' work (namespace teardown, RCU) is counted, which a
# process's own rusage would miss. Two cores sustain at most 2000 / (CPU ms)
# sandboxes a second; that, not latency, is what bounds throughput.
busy_ticks() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8}' /proc/stat; }
cpu_pass() {  # NAME CMD...: one line of cpu.tsv for CMD, which runs RUNS one-shots
  local name=$1 b0 t0; shift
  b0=$(busy_ticks); t0=$(date +%s%N)
  if "$@" </dev/null >/dev/null 2>&1; then
    printf '%s\t%s\t%s\n' "$name" $(($(busy_ticks) - b0)) $(($(date +%s%N) - t0)) >> "$OUT/cpu.tsv"
  else
    printf '%s CPU pass\tfailed\n' "$name" >> "$OUT/failures.txt"
  fi
}
printf 'hz\t%s\t%s\n' "$(getconf CLK_TCK)" "$RUNS" > "$OUT/cpu.tsv"
cpu_pass idle sleep 3
cpu_pass "runsc API one-shot" api --scenario oneshot --n "$RUNS" --warmup 0 --out "$W/cpu_api.json"
for name in "${ran[@]}"; do
  cpu_pass "$name" hyperfine -N --warmup 0 --runs "$RUNS" "${ONESHOT[$name]}"
done

echo "== idle memory, peers (${SECONDS}s)" >&2
# N detached containers of one runtime: MemAvailable delta and summed PSS of
# each container's process tree, per container.
idle_peer() {  # NAME CLI...
  local name=$1; shift
  local before pids=()
  before=$(awk '/MemAvailable/{print $2}' /proc/meminfo)
  # Ids of one width: gVisor takes an id that prefixes others (idle-1 of
  # idle-10) as ambiguous, and refuses state and delete for it.
  local id ids=()
  for i in $(seq "$N"); do
    id=$(printf 'idle%d-%04d' $$ "$i")
    if ! "$@" run --detach --bundle "$W/sleep" "$id" </dev/null >/dev/null 2>"$W/idle.err"; then
      printf '%s idle\t%s\n' "$name" "$(tail -n 1 "$W/idle.err")" >> "$OUT/failures.txt"
      break
    fi
    ids+=("$id")
  done
  sleep 2
  for id in "${ids[@]}"; do
    pids+=("$("$@" state "$id" 2>/dev/null | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])' 2>/dev/null || true)")
  done
  # gVisor's gofers are not in its sandboxes' process trees: counted by
  # their command line, which names the run's state root.
  if ! /usr/bin/python3 - "$name" "$N" "$before" "--root=$S/" "${pids[@]}" > "$OUT/idle_$name.json" <<'EOF'
import json, os, sys
name, n, before, root = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
pids = [p for p in sys.argv[5:] if p]
def pss(pid):
    total = 0
    try:
        for line in open(f"/proc/{pid}/smaps_rollup"):
            if line.startswith("Pss:"):
                total += int(line.split()[1])
        for child in open(f"/proc/{pid}/task/{pid}/children").read().split():
            total += pss(child)
    except OSError:
        pass
    return total
def gofers():
    for p in os.listdir("/proc"):
        try:
            cmd = open(f"/proc/{p}/cmdline", "rb").read().decode(errors="replace")
        except OSError:
            continue
        if "gofer" in cmd and root in cmd:
            yield p
after = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemAvailable"))
ok = len(pids)
total = sum(pss(p) for p in pids)
if name == "gvisor":
    total += sum(pss(p) for p in gofers())
print(json.dumps({"results": [], "summary": {
    "n": ok,
    "memavailable_delta_mib_per_sandbox": (before - after) / 1024 / max(ok, 1),
    "pss_mib_per_sandbox": total / 1024 / max(ok, 1)}}))
EOF
  then
    rm -f "$OUT/idle_$name.json"
    printf '%s idle\tno figure (%d of %d started)\n' "$name" "${#ids[@]}" "$N" >> "$OUT/failures.txt"
  fi
  # The figure in the run's log too.
  if [ -s "$OUT/idle_$name.json" ]; then
    printf '%s idle: %s\n' "$name" "$(cat "$OUT/idle_$name.json")" >&2
  fi
  # All at once: gVisor's delete waits about 1.4 s for its sandbox to end,
  # which in turn would take most of --quick's two minutes.
  local deletes=()
  for id in "${ids[@]}"; do
    "$@" delete --force "$id" >/dev/null 2>"$W/idle.$id.err" &
    deletes+=($!)
  done
  wait "${deletes[@]}" || true
  for id in "${ids[@]}"; do
    if [ -s "$W/idle.$id.err" ]; then
      printf '%s delete %s\t%s\n' "$name" "$id" "$(tail -n 1 "$W/idle.$id.err")" >> "$OUT/failures.txt"
    fi
  done
}
idle_peer runc runc --root "$S/runc"
idle_peer gvisor /usr/bin/runsc --network=none --root "$S/gvisor"

echo "== report (${SECONDS}s)" >&2
/usr/bin/python3 tools/bench/plot.py -o docs/benchmarks.png \
  --title "one-shot (CLI): create, run /bin/true, wait, delete" \
  --title "one-shot via the API, and the kernel's floor" \
  --title "exec /bin/true into a running sandbox" \
  "$OUT/oneshot_cli.json" "$OUT/oneshot_api.json,$OUT/floor.json,$OUT/floor_net.json" \
  "$OUT/exec_cli.json,$OUT/exec_api.json" >&2
/usr/bin/python3 tools/bench/report.py --out docs/benchmarks.md --quick "$QUICK" "$OUT"
echo "wrote docs/benchmarks.md and docs/benchmarks.png" >&2
