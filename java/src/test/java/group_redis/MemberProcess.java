package group_redis;

import java.time.Duration;

/**
 * A second JVM for the SIGKILL test: joins as a member, holds a lock and an ephemeral key,
 * prints READY, then waits to be killed.
 * Arguments: url group member sessionTimeoutMillis.
 */
public final class MemberProcess {
    private MemberProcess() {
    }

    public static void main(String[] args) throws Exception {
        GroupConfig config = GroupConfig.builder(args[0]).group(args[1]).memberId(args[2])
                .sessionTimeout(Duration.ofMillis(Long.parseLong(args[3]))).build();
        GroupConnector connector = GroupConnector.connect(config);
        connector.join();
        connector.lock("killed-holds-this").orElseThrow();
        connector.ephemeralSet("killed-owns-this", "x");
        System.out.println("READY");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
