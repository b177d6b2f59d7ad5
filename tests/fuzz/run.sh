#!/usr/bin/env bash
# Fuzzes the targets of a libFuzzer build (make fuzz builds one in build-fuzz), one after the
# other, FUZZ_SECONDS each:
#
#   tests/fuzz/run.sh <build dir> [target...]      all targets when none is named
#
# Each runs on a scratch corpus in <build>/corpus/<target>, seeded from tests/fuzz/corpus and
# kept between runs, so that fuzzing accumulates there and not in the repository. A finding
# lands in <build>/artifacts/<target>/, and stops that target's run, unless FUZZ_KEEP_GOING=1
# (libFuzzer's fork mode: it goes on past findings, to see more than the first bug of a
# target that has a known one). FUZZ_MERGE=1 merges what the scratch corpus covers
# beyond the seeds back into tests/fuzz/corpus (libFuzzer -merge=1, smallest inputs first).
#
# Each run appends a line to <build>/fuzz-hours.tsv (date, commit, target, CPU seconds, runs,
# findings), from which docs/reliability.md counts the CPU time run without a finding.
# Exits 1 when any target found something.
set -uo pipefail

build=${1:?usage: tests/fuzz/run.sh <build dir> [target...]}
shift
here=$(cd "$(dirname "$0")" && pwd)
seconds=${FUZZ_SECONDS:-60}
merge=${FUZZ_MERGE:-0}
keep_going=${FUZZ_KEEP_GOING:-0}
targets=("$@")
if ((${#targets[@]} == 0)); then
  for f in "$here"/*_fuzz.cpp; do
    n=$(basename "$f")
    targets+=("${n%_fuzz.cpp}")
  done
fi

hours="$build/fuzz-hours.tsv"
[ -f "$hours" ] || printf 'date\tcommit\ttarget\tcpu_seconds\truns\tfindings\n' >"$hours"
commit=$(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo unknown)
failed=0

# The libFuzzer flags: a per-input time limit well above any seed's (a hang is a finding),
# a memory limit below the machine's, and the dictionary of the target's tokens if it has one.
flags_of() {
  local name=$1
  printf '%s\n' -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
  [ -f "$here/dict/$name.dict" ] && printf '%s\n' -dict="$here/dict/$name.dict"
  [ "$keep_going" = 1 ] &&
    printf '%s\n' -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1
  return 0
}

for name in "${targets[@]}"; do
  bin="$build/tests/fuzz/$name-fuzz"
  if [ ! -x "$bin" ]; then
    echo "fuzz $name: no $bin (make fuzz builds it)" >&2
    failed=1
    continue
  fi
  scratch="$build/corpus/$name"
  artifacts="$build/artifacts/$name"
  log="$build/logs/$name.log"
  mkdir -p "$scratch" "$artifacts" "$build/logs"
  cp -n "$here/corpus/$name"/* "$scratch"/ 2>/dev/null || true
  find "$artifacts" -type f | sort >"$build/logs/$name.before"

  mapfile -t flags < <(flags_of "$name")
  TIMEFORMAT='%3U %3S'
  # `time` writes to the group's stderr, the fuzzer's own output goes to the log.
  { time "$bin" "${flags[@]}" -artifact_prefix="$artifacts/" "$scratch" >"$log" 2>&1; } \
    2>"$build/logs/$name.time"
  status=$?
  read -r user sys <"$build/logs/$name.time"
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.1f", u + s }')

  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  if [ -z "$runs" ]; then # fork mode prints no final stats: its last status line instead
    runs=$(sed -n 's/^#\([0-9]*\): cov:.*/\1/p' "$log" | tail -1)
    speed=$(sed -n 's/^#[0-9]*: cov:.* exec\/s:* \([0-9]*\).*/\1/p' "$log" | tail -1)
  fi
  new=$(find "$artifacts" -type f | sort | comm -13 "$build/logs/$name.before" -)
  findings=$(printf '%s' "$new" | grep -c . || true)
  # A crash before the stats (a seed that fails at once) is a finding too.
  if ((status != 0 && findings == 0)); then findings=1; fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$commit" "$name" "$cpu" \
    "${runs:-0}" "$findings" >>"$hours"
  echo "fuzz $name: ${runs:-0} runs, ${speed:-0} exec/s, $findings findings, $cpu CPU s"
  if ((findings > 0)); then
    failed=1
    echo "  log: $log" >&2
    [ -n "$new" ] && printf '%s\n' "$new" | head -3 |
      sed "s|^|  input: |; s|$| (replay: $bin <input>)|" >&2
    ((findings > 3)) && echo "  and $((findings - 3)) more in $artifacts" >&2
    grep -a -m3 -E '^fuzz: .* escape: |fuzz invariant broken|ERROR: AddressSanitizer|runtime error:' \
      "$log" | sed 's/^/  /' >&2
  fi

  if [ "$merge" = 1 ]; then
    "$bin" -merge=1 "$here/corpus/$name" "$scratch" >"$build/logs/$name.merge.log" 2>&1 &&
      echo "  merged new inputs into tests/fuzz/corpus/$name"
  fi
done

awk -F'\t' 'NR > 1 { s[$3] += $4 } END { for (t in s) printf "  %s: %.0f CPU s in all\n", t, s[t] }' \
  "$hours" | sort
exit $failed
