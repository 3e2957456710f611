package group_redis;

import java.util.UUID;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 extension: one real redis-server per test class, on a free port.
 * Use as {@code @RegisterExtension static final RedisExtension REDIS = new RedisExtension();}.
 */
final class RedisExtension implements BeforeAllCallback, AfterAllCallback {
    private RedisServer server;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        server = RedisServer.start();
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        server.close();
    }

    RedisServer server() {
        return server;
    }

    String url() {
        return server.url();
    }

    int port() {
        return server.port();
    }

    /** A config for a group of its own, so tests never see each other's members. */
    GroupConfig.Builder freshGroup() {
        return GroupConfig.builder(url()).group("test-" + UUID.randomUUID());
    }
}
