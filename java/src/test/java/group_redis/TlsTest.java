package group_redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** rediss:// to a TLS-only redis-server with a private CA: trusted through tlsRootCert, refused without. */
class TlsTest {
    private static RedisServer server;

    @BeforeAll
    static void startTlsServer() throws Exception {
        server = RedisServer.startTls();
    }

    @AfterAll
    static void stopTlsServer() {
        server.close();
    }

    private static GroupConfig.Builder freshGroup() {
        return GroupConfig.builder(server.url()).group("tls-" + UUID.randomUUID()).commandTimeout(Duration.ofSeconds(5));
    }

    @Test
    void thePrivateCaFromAFileIsTrusted() {
        assertTrue(server.url().startsWith("rediss://"));
        try (GroupConnector connector = GroupConnector.connect(
                freshGroup().memberId("tls-member").tlsRootCertFile(server.caFile()).build())) {
            connector.join();
            assertEquals(List.of("tls-member"), connector.members().stream().map(Member::id).collect(Collectors.toList()));
            assertTrue(connector.lock("over-tls").isPresent());
        }
    }

    @Test
    void thePrivateCaAsPemTextIsTrusted() throws Exception {
        String pem = Files.readString(server.caFile());
        try (GroupConnector connector = GroupConnector.connect(freshGroup().tlsRootCert(pem).build())) {
            assertEquals(1L, connector.persistentSet("over-tls", "yes"));
            assertEquals("yes", connector.persistentGet("over-tls"));
        }
    }

    @Test
    void withoutTheCaTheServerIsRefused() {
        GroupRedisException e = assertThrows(GroupRedisException.class, () -> GroupConnector.connect(freshGroup().build()));
        assertTrue(e instanceof ConnectionException || e instanceof RedisErrorException, e.toString());
    }

    @Test
    void aMissingCaFileIsAClearError() {
        Path missing = server.caFile().resolveSibling("no-such-ca.pem");
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                () -> GroupConnector.connect(freshGroup().tlsRootCertFile(missing).build()));
        assertTrue(e.getMessage().contains("TLS root certificate") && e.getMessage().contains("no-such-ca.pem"),
                e.getMessage());
    }

    @Test
    void textThatIsNotACertificateIsAClearErrorNotACrash() {
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                () -> GroupConnector.connect(freshGroup().tlsRootCert("not a certificate").build()));
        assertTrue(e.getMessage().contains("TLS root certificate"), e.getMessage());
    }
}
