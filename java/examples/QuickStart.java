// The README's Java quick start. Run against a Redis server with only the jar:
//   java -cp group-redis-0.1.0.jar QuickStart.java redis://127.0.0.1:6379
import group_redis.GroupConfig;
import group_redis.GroupConnector;
import group_redis.LockHandle;
import group_redis.Subscription;
import java.time.Duration;
import java.util.Map;

public class QuickStart {
    public static void main(String[] args) throws Exception {
        GroupConfig config = GroupConfig.builder(args.length > 0 ? args[0] : "redis://127.0.0.1:6379")
                .group("workers")
                .payload(Map.of("port", 8080))
                .build();
        try (GroupConnector connector = GroupConnector.connect(config)) {
            try (Subscription events = connector.addMemberListener(event -> System.out.println("event: " + event))) {
                connector.join();
                System.out.println("members: " + connector.members());

                try (LockHandle lock = connector.tryLock("reindex", Duration.ofSeconds(5)).orElseThrow()) {
                    System.out.println("holding reindex with fencing token " + lock.token());
                }

                connector.ephemeralSet("leader-address", "10.0.0.5:8080"); // gone when we go
                connector.persistentSet("config/batch-size", 500);          // stays
                System.out.println("batch size: " + connector.persistentGet("config/batch-size"));
            }
        }
    }
}
