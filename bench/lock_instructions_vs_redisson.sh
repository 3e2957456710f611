#!/usr/bin/env bash
# Instructions redis-server runs per uncontended lock+release pair: group-redis (Java, through
# JNI) against Redisson's getLock and getFairLock (3.52, pinned in java/pom.xml's bench
# profile), counted by valgrind (cachegrind, no cache simulation): unlike microseconds, they
# do not move with the load of a shared machine. Next to them, Redis commands per pair (INFO
# commandstats, the commands scripts run included).
#   bench/lock_instructions_vs_redisson.sh [pairs] [repeats]     (default 5000 pairs, 1 repeat)
# GR_BASELINE_LIB=<path to an older build's libgroup_redis.so> adds a row for it (before and
# after in one run).
#
# Per library, two runs of java/src/bench/java/group_redis/LockInstructions.java (one thread,
# tryLock(name, 30 s) + release on one name, no warm-up), each against a fresh redis-server
# under valgrind: one of 0 pairs and one of N; the count is the difference divided by N, so
# starting the server, connecting (both clients do the same in both runs) and shutting down
# cancel out. Left in: the first pair's one-time work (Redisson's SCRIPT LOAD of its two
# scripts, group-redis's first SET of the token counter), under 0.4k per pair at 5000 pairs.
# Kept out, so that two runs count alike (within 0.4%):
# - the server's timer work, which grows with the length of a run (the N run is longer):
#   --hz 1 (about 0.12M instructions a second instead of 1.2M at the default hz 10);
# - the random seed of the server's hash tables, which changes how often lookups collide
#   (0.3% of a pair): bench/tools/fixedseed.c gives it a fixed one;
# - the group-redis heartbeat and Redisson's watchdog renewal (see LockInstructions.java).
# The count is of user-space instructions: the system calls of a round trip (read, write,
# epoll) are not in it; an uncontended pair is 2 round trips for group-redis, 3 for Redisson
# (lock, unlock, then a DEL of its unlock latch). Needs valgrind, redis-server, cc, cargo,
# a JDK 11+ and Maven.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
pairs="${1:-5000}"
repeats="${2:-1}"
libraries=(group-redis redisson redisson-fair)
if [ -n "${GR_BASELINE_LIB:-}" ]; then libraries=(group-redis group-redis-baseline redisson redisson-fair); fi

cargo build --release -q -p group-redis-ffi
mvn -f java -B -q -Pbench -Dcargo.skip=true test-compile
# The test class path once (mvn's own start-up is not repeated for each run), without the
# colour resets Maven's console writes around it even in batch mode.
classpath="$(mvn -f java -B -q -Pbench -Dcargo.skip=true exec:exec -Dexec.executable=echo \
    -Dexec.classpathScope=test -Dexec.args=%classpath | sed 's/\x1b\[[0-9;]*m//g')"

# shellcheck source=tools/cachegrind_redis.sh
. "$here/bench/tools/cachegrind_redis.sh"

count() { # library pairs -> $instructions; the run's commandstats in $work/stats.<pairs>
    cachegrind_redis_start
    redis-cli -p "$port" config resetstat >/dev/null
    # The library cargo just built (or the baseline's), whatever else java.library.path may
    # hold.
    local native="$here/target/release/libgroup_redis.so"
    if [ "$1" = group-redis-baseline ]; then native="$GR_BASELINE_LIB"; fi
    REDIS_URL="redis://127.0.0.1:$port" java -Dslf4j.internal.verbosity=ERROR \
        -Dgroup_redis.native.path="$native" -cp "$classpath" \
        group_redis.LockInstructions "${1%-baseline}" "$2" 2>&1 | tee -a "$work/java.log" >&2
    redis-cli -p "$port" info commandstats | tr -d '\r' >"$work/stats.$2"
    cachegrind_redis_stop
}

# "<commands per pair> <command=per pair ...>" (most first) from the two runs' commandstats;
# INFO and CONFIG are this script's own.
commands() {
    awk -F'[:,=]' '
        FNR == 1 { file++ }
        /^cmdstat_/ {
            name = substr($1, 9)
            if (name != "info" && name !~ /^config/) calls[name] += (file == 1 ? -$3 : $3)
        }
        END { for (name in calls) print calls[name], name }' "$work/stats.0" "$work/stats.$pairs" |
        sort -rn | awk -v pairs="$pairs" '
            { total += $1; if ($1 / pairs >= 0.005) list = list sprintf(" %s=%.2f", $2, $1 / pairs) }
            END { printf "%.2f%s\n", total / pairs, list }'
}

declare -A per_pair per_command
for library in "${libraries[@]}"; do
    for ((r = 1; r <= repeats; r++)); do
        count "$library" 0
        zero=$instructions
        count "$library" "$pairs"
        many=$instructions
        echo "$library: redis-server ran $zero instructions with 0 pairs, $many with $pairs" >&2
        per_pair[$library]+="$(((many - zero) / pairs)) "
        per_command[$library]=$(commands)
    done
done

redisson=$(sed -n '/<artifactId>redisson<\/artifactId>/,/<\/version>/s/.*<version>\(.*\)<\/version>.*/\1/p' java/pom.xml)
echo
echo "redis-server instructions per uncontended lock+release pair, valgrind cachegrind, ($pairs pairs - 0 pairs)"
echo "/ $pairs; one thread, tryLock(name, 30 s) + release on one name; Redisson $redisson with lease -1 (watchdog):"
if [ "$repeats" -gt 1 ]; then
    echo "(median of $repeats repeats, each a fresh pair of runs; their spread in brackets)"
fi
median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
spread() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { printf "%d-%d (%.2f%%)", v[1], v[NR], (v[NR] - v[1]) * 100 / v[1] }'; }
base=$(median <<<"${per_pair[redisson]}")
printf "%-21s %12s %10s %10s  %s\n" library "instr/pair" "/ getLock" "cmds/pair" "commands per pair"
for library in "${libraries[@]}"; do
    read -r calls list <<<"${per_command[$library]}"
    value=$(median <<<"${per_pair[$library]}")
    printf "%-21s %12s %10s %10s  %s\n" "$library" "$value" \
        "$(awk -v a="$value" -v b="$base" 'BEGIN { printf "%.3f", a / b }')" "$calls" "$list"
    if [ "$repeats" -gt 1 ]; then echo "                [$(spread <<<"${per_pair[$library]}")]"; fi
done
if grep -q WARNING "$work/java.log"; then
    echo
    grep WARNING "$work/java.log"
fi
