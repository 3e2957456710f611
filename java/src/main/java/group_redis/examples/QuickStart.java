package group_redis.examples;

import group_redis.GroupConfig;
import group_redis.GroupConnector;
import group_redis.LockHandle;
import group_redis.MemberSubscription;
import java.time.Duration;
import java.util.Map;

/**
 * The README's Java quick start, compiled into the jar so that a plain Java runtime (no JDK,
 * no compiler) runs it:
 *
 * <pre>
 * java -cp group-redis-0.1.0.jar group_redis.examples.QuickStart redis://127.0.0.1:6379
 * </pre>
 *
 * It joins group "workers", prints the members, takes and releases a lock with its fencing
 * token, and sets an ephemeral and a persistent value. java/run-tests.sh runs it against a
 * real redis-server with a runtime made by jlink that has no jdk.compiler.
 */
public final class QuickStart {
    private QuickStart() {
    }

    /**
     * Runs the quick start.
     *
     * @param args the Redis URL (default {@code redis://127.0.0.1:6379})
     * @throws Exception when Redis cannot be reached, or the lock was not free within 5 s
     */
    @SuppressWarnings("try") // `events` is only held open for the block: the listener prints
    public static void main(String[] args) throws Exception {
        GroupConfig config = GroupConfig.builder(args.length > 0 ? args[0] : "redis://127.0.0.1:6379")
                .group("workers")
                .payload(Map.of("port", 8080))
                .build();
        try (GroupConnector connector = GroupConnector.connect(config)) {
            try (MemberSubscription events = connector.addMemberListener(event -> System.out.println("event: " + event))) {
                connector.join();
                System.out.println("members: " + connector.members());

                try (LockHandle lock = connector.tryLock("reindex", Duration.ofSeconds(5)).orElseThrow()) {
                    System.out.println("holding reindex with fencing token " + lock.token());
                }

                connector.ephemeralSet("leader-address", "10.0.0.5:8080"); // gone when we go
                connector.persistentSet("config/batch-size", 500);          // stays
                System.out.println("batch size: " + connector.persistentGet("config/batch-size"));

                // Every call has a CompletableFuture variant that never blocks this thread.
                connector.persistentGetAsync("config/batch-size")
                        .thenAccept(size -> System.out.println("batch size, asynchronously: " + size))
                        .get();
            }
        }
    }
}
