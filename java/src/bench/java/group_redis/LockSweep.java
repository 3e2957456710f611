package group_redis;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.redisson.Redisson;
import org.redisson.api.RLock;
import org.redisson.api.RedissonClient;
import org.redisson.config.Config;

/**
 * Contention sweep, group-redis next to Redisson, on one redis-server started here: N threads
 * of one JVM each loop tryLock(one lock, 30 s) + unlock for a fixed time (1 thread: the
 * uncontended pair). Per run: acquisitions/s; Redis commands and Redis microseconds per
 * acquisition from INFO commandstats (CONFIG RESETSTAT once every thread is ready, so every
 * client's commands count, Redisson's pub/sub and pool connections too); p50/p99 of the wait
 * (the tryLock call, for the waits that ended in a grant); max/min grants per thread; waits
 * of 30 s that ended without a grant, if any (seen with Redisson's unfair lock: a waiter
 * that is not woken by an unlock, or loses the race when it is, sleeps up to the holder's
 * remaining lease, about 30 s under its watchdog, while the others take the lock). Prints numbers; asserts nothing. Run with
 * {@code java/bench.sh sweep [seconds] [threads,threads,...]}.
 */
public final class LockSweep {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Duration WARMUP = Duration.ofSeconds(1);

    private LockSweep() {
    }

    /** One acquisition (waiting up to {@link #WAIT}) and its release, by the calling thread. */
    interface Contender {
        /** Acquires, returning what {@link #release} needs, or null when the wait ran out. */
        Object acquire() throws Exception;

        void release(Object held) throws Exception;
    }

    /** What one run measured. */
    private static final class Outcome {
        long[] grants;
        /** The waits that ended in a grant. */
        long[] waitsNs;
        /** Waits of 30 s that ended without a grant (while others took the lock). */
        long timeouts;
        double seconds;
    }

    public static void main(String[] args) throws Exception {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 3;
        int[] sweep = args.length > 1 ? Arrays.stream(args[1].split(",")).mapToInt(Integer::parseInt).toArray()
                : new int[] {1, 2, 8, 32, 128};
        try (RedisServer redis = RedisServer.start(); CommandStats stats = new CommandStats(redis.port())) {
            System.out.printf(Locale.ROOT, "redis-server on port %d; Java %s; Redisson %s; load average %s;"
                    + " each run %.1f s after a %d s warm-up (and 5 s per library first)%n", redis.port(), System.getProperty("java.version"),
                    redissonVersion(), loadAverage(), seconds, WARMUP.toSeconds());
            GroupConnector connector = GroupConnector.connect(GroupConfig.builder(redis.url()).group("bench").build());
            Config config = new Config();
            config.useSingleServer().setAddress(redis.url());
            RedissonClient redisson = Redisson.create(config);
            try {
                String[] names = {"group-redis tryLock (FIFO)", "Redisson getLock tryLock", "Redisson getFairLock"};
                Contender[] contenders = {groupRedis(connector, "hot"), redisson(redisson.getLock("hot-r")),
                    redisson(redisson.getFairLock("hot-rf"))};
                // Which commands each library sends itself besides scripts and pub/sub (for the
                // Redis time), from MONITOR over 2 threads for a moment, outside the measured runs.
                List<Map<String, Double>> topLevel = new ArrayList<>();
                for (int i = 0; i < contenders.length; i++) {
                    Contender contender = contenders[i];
                    Map<String, Double> sent = CommandStats.monitor(redis.port(),
                            () -> (long) run(contender, 2, 0.5, null).waitsNs.length);
                    topLevel.add(sent);
                    System.out.printf(Locale.ROOT, "%-27s also sends, per acquisition: %s%n", names[i],
                            sent.isEmpty() ? "nothing" : sent);
                }
                // The JIT first: Redisson's first seconds run at a tenth of its speed.
                for (Contender contender : contenders) {
                    run(contender, 8, 3, null);
                    run(contender, 1, 2, null);
                }
                for (int threads : sweep) {
                    for (int i = 0; i < contenders.length; i++) {
                        run(contenders[i], threads, WARMUP.toNanos() / 1e9, null);
                        Outcome outcome = run(contenders[i], threads, seconds, stats);
                        report(names[i], threads, outcome, stats.read(), topLevel.get(i));
                    }
                }
            } finally {
                redisson.shutdown();
                connector.close();
            }
            System.out.printf(Locale.ROOT, "load average at the end: %s%n", loadAverage());
        }
    }

    private static Contender groupRedis(GroupConnector connector, String name) {
        return new Contender() {
            @Override
            public Object acquire() {
                return connector.tryLock(name, WAIT).orElse(null);
            }

            @Override
            public void release(Object held) {
                ((LockHandle) held).close();
            }
        };
    }

    /** Redisson's lock is per thread: the same RLock object serves every thread. */
    private static Contender redisson(RLock lock) {
        return new Contender() {
            @Override
            public Object acquire() throws InterruptedException {
                // No lease given: Redisson's watchdog renews it, as lock() does (and as
                // group-redis's lease does); same semantics as the other side.
                return lock.tryLock(WAIT.toSeconds(), TimeUnit.SECONDS) ? lock : null;
            }

            @Override
            public void release(Object held) {
                lock.unlock();
            }
        };
    }

    private static Outcome run(Contender contender, int threads, double seconds, CommandStats stats) throws Exception {
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch start = new CountDownLatch(1);
        long[] end = new long[1];
        Outcome outcome = new Outcome();
        outcome.grants = new long[threads];
        long[][] waits = new long[threads][];
        long[] timeouts = new long[threads];
        List<Throwable> failures = new ArrayList<>();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int me = t;
            Thread worker = new Thread(() -> {
                long[] mine = new long[1024];
                int count = 0;
                try {
                    ready.countDown();
                    start.await();
                    while (System.nanoTime() < end[0]) {
                        long t0 = System.nanoTime();
                        Object held = contender.acquire();
                        long waited = System.nanoTime() - t0;
                        if (held == null) {
                            timeouts[me]++;
                            continue;
                        }
                        contender.release(held);
                        if (count == mine.length) {
                            mine = Arrays.copyOf(mine, count * 2);
                        }
                        mine[count++] = waited;
                    }
                } catch (Throwable e) {
                    synchronized (failures) {
                        failures.add(e);
                    }
                }
                outcome.grants[me] = count;
                waits[me] = Arrays.copyOf(mine, count);
            }, "sweep-" + t);
            worker.start();
            workers.add(worker);
        }
        ready.await();
        if (stats != null) {
            stats.reset();
        }
        long begin = System.nanoTime();
        end[0] = begin + (long) (seconds * 1e9);
        start.countDown();
        for (Thread worker : workers) {
            worker.join();
        }
        outcome.seconds = (System.nanoTime() - begin) / 1e9;
        if (!failures.isEmpty()) {
            throw new IllegalStateException("a benchmark thread failed", failures.get(0));
        }
        outcome.timeouts = Arrays.stream(timeouts).sum();
        outcome.waitsNs = Arrays.stream(waits).flatMapToLong(Arrays::stream).sorted().toArray();
        return outcome;
    }

    private static void report(String who, int threads, Outcome outcome, CommandStats.Snapshot snapshot,
            Map<String, Double> topLevel) {
        long acquisitions = outcome.waitsNs.length;
        long max = Arrays.stream(outcome.grants).max().orElse(0);
        long min = Arrays.stream(outcome.grants).min().orElse(0);
        System.out.printf(Locale.ROOT,
                "%-27s %3d threads %8.0f acq/s %7.1f cmds/acq %8.1f Redis us/acq  wait p50 %7.3f p99 %8.3f ms"
                        + "  grants max/min %d/%d%s%n",
                who, threads, acquisitions / outcome.seconds, snapshot.calls() / (double) acquisitions,
                snapshot.usec(topLevel, acquisitions) / acquisitions, percentile(outcome.waitsNs, 0.50) / 1e6,
                percentile(outcome.waitsNs, 0.99) / 1e6, max, min,
                outcome.timeouts == 0 ? "" : "  TIMEOUTS (30 s without a grant): " + outcome.timeouts);
        System.out.printf(Locale.ROOT, "    commands per acquisition: %s%n", snapshot.breakdown(acquisitions));
    }

    private static double percentile(long[] sorted, double q) {
        return sorted.length == 0 ? Double.NaN : sorted[Math.min(sorted.length - 1, (int) (q * sorted.length))];
    }

    private static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return fields[0] + " " + fields[1] + " " + fields[2];
        } catch (Exception unknown) {
            return "unknown";
        }
    }

    private static String redissonVersion() {
        String version = Redisson.class.getPackage().getImplementationVersion();
        return version != null ? version : "(version not in its manifest)";
    }
}
