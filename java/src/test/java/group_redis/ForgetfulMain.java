package group_redis;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A program that registers listeners, receives events and returns from main without closing
 * anything. Its JVM must still exit. Arguments: url group.
 */
public final class ForgetfulMain {
    private ForgetfulMain() {
    }

    public static void main(String[] args) throws Exception {
        GroupConnector connector = GroupConnector.connect(GroupConfig.builder(args[0]).group(args[1]).build());
        CountDownLatch delivered = new CountDownLatch(1);
        connector.addMemberListener(event -> delivered.countDown());
        connector.addConnectionStateListener(state -> { });
        connector.join("forgetful");
        if (!delivered.await(20, TimeUnit.SECONDS)) {
            System.exit(3);
        }
        System.out.println("DELIVERED");
    }
}
