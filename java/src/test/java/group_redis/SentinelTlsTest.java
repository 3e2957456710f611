package group_redis;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * rediss+sentinel:// through the Java binding: a master and a replica speaking only TLS,
 * three Sentinels with TLS ports, a password on the servers and another on the Sentinels, a
 * private CA; the master SIGKILLed under a holder. The Rust suite (core/tests/sentinel.rs)
 * tests the fail-over in depth; this is the binding's URL and options reaching it.
 */
class SentinelTlsTest {
    private static final String SERVICE = "grmaster";
    private static final String SERVER_PASSWORD = "m4ster";
    private static final String SENTINEL_PASSWORD = "s3ntinel";

    private static Path dir;
    private static final Map<Integer, Process> servers = new HashMap<>();
    private static final List<int[]> sentinelPorts = new ArrayList<>(); // {plain, tls}
    private static final List<Process> sentinels = new ArrayList<>();

    @BeforeAll
    static void startSet() throws Exception {
        dir = Files.createTempDirectory("gr-java-sentinels-");
        RedisServer.makeCertificates(dir);
        int master = RedisServer.freePort();
        int replica = RedisServer.freePort();
        startServer(master, List.of());
        startServer(replica, List.of("--replicaof", "127.0.0.1", String.valueOf(master)));
        for (int i = 0; i < 3; i++) {
            int plain = RedisServer.freePort();
            int tls = RedisServer.freePort();
            Path conf = dir.resolve("sentinel-" + plain + ".conf");
            Files.writeString(conf, String.join("\n",
                    "port " + plain, "tls-port " + tls, "bind 127.0.0.1", "protected-mode no", "dir " + dir,
                    "tls-cert-file " + dir.resolve("server.pem"), "tls-key-file " + dir.resolve("server.key"),
                    "tls-ca-cert-file " + dir.resolve("ca.pem"), "tls-auth-clients no", "tls-replication yes",
                    "sentinel monitor " + SERVICE + " 127.0.0.1 " + master + " 2",
                    "sentinel down-after-milliseconds " + SERVICE + " 1000",
                    "sentinel failover-timeout " + SERVICE + " 3000",
                    "sentinel auth-pass " + SERVICE + " " + SERVER_PASSWORD,
                    "requirepass " + SENTINEL_PASSWORD, "sentinel sentinel-pass " + SENTINEL_PASSWORD, ""));
            sentinels.add(new ProcessBuilder("redis-sentinel", conf.toString())
                    .redirectErrorStream(true).redirectOutput(new File(dir.toFile(), "sentinel-" + plain + ".log"))
                    .start());
            sentinelPorts.add(new int[] {plain, tls});
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!ready()) {
            assertTrue(System.nanoTime() < deadline, "the Sentinels did not find the replica and each other in 30 s");
            Thread.sleep(100);
        }
    }

    private static void startServer(int port, List<String> extra) throws IOException {
        List<String> command = new ArrayList<>(List.of("redis-server", "--port", "0", "--tls-port", String.valueOf(port),
                "--tls-cert-file", dir.resolve("server.pem").toString(),
                "--tls-key-file", dir.resolve("server.key").toString(),
                "--tls-ca-cert-file", dir.resolve("ca.pem").toString(),
                "--tls-auth-clients", "no", "--tls-replication", "yes", "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", dir.toString(),
                "--requirepass", SERVER_PASSWORD, "--masterauth", SERVER_PASSWORD));
        command.addAll(extra);
        servers.put(port, new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(new File(dir.toFile(), "server-" + port + ".log")).start());
    }

    /** What a Sentinel answers, one line per value (redis-cli's plain output). */
    private static List<String> ask(int plainPort, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("redis-cli", "-p", String.valueOf(plainPort),
                "--no-auth-warning", "-a", SENTINEL_PASSWORD));
        command.addAll(List.of(args));
        Process cli = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(cli.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        cli.waitFor(10, TimeUnit.SECONDS);
        return List.of(out.strip().split("\n"));
    }

    private static boolean ready() throws Exception {
        for (int[] ports : sentinelPorts) {
            List<String> master = ask(ports[0], "SENTINEL", "master", SERVICE);
            int slaves = master.indexOf("num-slaves");
            int others = master.indexOf("num-other-sentinels");
            if (slaves < 0 || others < 0 || !master.get(slaves + 1).equals("1") || !master.get(others + 1).equals("2")) {
                return false;
            }
        }
        return true;
    }

    private static int masterPort() throws Exception {
        List<String> addr = ask(sentinelPorts.get(0)[0], "SENTINEL", "get-master-addr-by-name", SERVICE);
        return Integer.parseInt(addr.get(1).strip());
    }

    private static String url(String serverPassword, String sentinelPassword) {
        StringBuilder hosts = new StringBuilder();
        for (int[] ports : sentinelPorts) {
            hosts.append(hosts.length() == 0 ? "" : ",").append("127.0.0.1:").append(ports[1]);
        }
        return "rediss+sentinel://:" + serverPassword + "@" + hosts + "/" + SERVICE
                + "?sentinel_password=" + sentinelPassword;
    }

    @AfterAll
    static void stopSet() throws Exception {
        for (Process p : sentinels) {
            p.destroyForcibly().waitFor();
        }
        for (Process p : servers.values()) {
            p.destroyForcibly().waitFor();
        }
        try (var files = Files.walk(dir)) {
            files.sorted((a, b) -> b.compareTo(a)).forEach(f -> f.toFile().delete());
        }
    }

    private static GroupConfig.Builder config(String url) {
        return GroupConfig.builder(url).group("sentinel-tls-" + UUID.randomUUID())
                .tlsRootCertFile(dir.resolve("ca.pem")).commandTimeout(Duration.ofMillis(500));
    }

    @Test
    void wrongPasswordsAreRefusedWithoutBeingShown() {
        for (String[] pair : new String[][] {{SERVER_PASSWORD, "wr0ngS"}, {"wr0ngM", SENTINEL_PASSWORD}}) {
            GroupRedisException e = assertThrows(GroupRedisException.class,
                    () -> GroupConnector.connect(config(url(pair[0], pair[1])).build()));
            for (String secret : List.of(SERVER_PASSWORD, SENTINEL_PASSWORD, "wr0ngS", "wr0ngM")) {
                assertFalse(e.getMessage().contains(secret), e.getMessage());
            }
        }
    }

    @Test
    void aFailOverIsFollowedOverTls() throws Exception {
        try (GroupConnector connector = GroupConnector.connect(config(url(SERVER_PASSWORD, SENTINEL_PASSWORD))
                .memberId("a").sessionTimeout(Duration.ofSeconds(1)).build())) {
            long first = connector.lock("L").orElseThrow().token();
            int old = masterPort();
            servers.get(old).destroyForcibly().waitFor();
            long killed = System.nanoTime();
            LockHandle again = connector.tryLock("L", Duration.ofSeconds(20)).orElseThrow();
            assertTrue(again.token() > first, "token went backwards: " + first + " -> " + again.token());
            assertTrue(masterPort() != old, "the Sentinels name another master");
            System.out.printf("java sentinel TLS: L held again %d ms after the master's SIGKILL%n",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed));
        }
    }
}
