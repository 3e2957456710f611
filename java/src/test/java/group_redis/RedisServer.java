package group_redis;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real redis-server for tests, on a free port, without persistence. Stop and start it
 * again on the same port to simulate a Redis restart (its data is gone then). {@link #startTls()}
 * gives one that speaks only TLS, with a certificate from a throw-away private CA.
 */
final class RedisServer implements AutoCloseable {
    private static final String BINARY = System.getenv().getOrDefault("REDIS_SERVER", "/usr/bin/redis-server");
    private static final long READY_TIMEOUT_MS = 20_000;

    private final int port;
    /** The certificates' directory for a TLS-only server, else null. */
    private final Path tlsDir;
    private Process process;

    private RedisServer(int port, Path tlsDir) {
        this.port = port;
        this.tlsDir = tlsDir;
    }

    static RedisServer start() throws IOException, InterruptedException {
        RedisServer server = new RedisServer(freePort(), null);
        server.startProcess();
        return server;
    }

    /** A TLS-only server (rediss://) whose certificate is signed by {@link #caFile()}. */
    static RedisServer startTls() throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("gr-java-redis-tls-");
        makeCertificates(dir);
        RedisServer server = new RedisServer(freePort(), dir);
        server.startProcess();
        return server;
    }

    /** A CA and a server certificate for 127.0.0.1 signed by it (openssl, as the Python tests). */
    static void makeCertificates(Path dir) throws IOException, InterruptedException {
        openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                "/CN=group-redis test CA", "-keyout", "ca.key", "-out", "ca.pem");
        openssl(dir, "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key",
                "-out", "server.csr");
        Files.writeString(dir.resolve("san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
        openssl(dir, "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-days", "2", "-extfile", "san.ext", "-out", "server.pem");
    }

    private static void openssl(Path dir, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Process openssl = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(openssl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!openssl.waitFor(60, TimeUnit.SECONDS) || openssl.exitValue() != 0) {
            throw new IOException("openssl " + args[0] + " failed: " + output);
        }
    }

    /** The CA certificate (PEM file) of a {@link #startTls()} server. */
    Path caFile() {
        return tlsDir.resolve("ca.pem");
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }

    int port() {
        return port;
    }

    String url() {
        return (tlsDir != null ? "rediss" : "redis") + "://127.0.0.1:" + port;
    }

    synchronized void startProcess() throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(BINARY, "--bind", "127.0.0.1", "--save", "", "--appendonly",
                "no", "--protected-mode", "yes"));
        if (tlsDir == null) {
            command.addAll(List.of("--port", Integer.toString(port)));
        } else {
            command.addAll(List.of("--port", "0", "--tls-port", Integer.toString(port), "--tls-auth-clients", "no",
                    "--tls-cert-file", tlsDir.resolve("server.pem").toString(),
                    "--tls-key-file", tlsDir.resolve("server.key").toString(),
                    "--tls-ca-cert-file", caFile().toString()));
        }
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.redirectErrorStream(true);
        builder.redirectOutput(new File(System.getProperty("java.io.tmpdir"), "group-redis-test-redis-" + port + ".log"));
        process = builder.start();
        long deadline = System.currentTimeMillis() + READY_TIMEOUT_MS;
        while (!ping()) {
            if (!process.isAlive()) {
                throw new IOException("redis-server exited with " + process.exitValue() + " (port " + port + ")");
            }
            if (System.currentTimeMillis() > deadline) {
                throw new IOException("redis-server did not answer PING within " + READY_TIMEOUT_MS + " ms");
            }
            Thread.sleep(20);
        }
    }

    /** Kills the server (SIGKILL) and waits until it is gone. */
    synchronized void stopProcess() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly();
            process.waitFor(20, TimeUnit.SECONDS);
            process = null;
        }
    }

    private boolean ping() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            if (tlsDir != null) {
                return true; // listening is enough; the TLS handshake is the test's job
            }
            socket.setSoTimeout(1000);
            OutputStream out = socket.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] reply = new byte[7];
            int read = in.readNBytes(reply, 0, 7);
            return read == 7 && new String(reply, StandardCharsets.US_ASCII).equals("+PONG\r\n");
        } catch (IOException notYet) {
            return false;
        }
    }

    @Override
    public void close() {
        try {
            stopProcess();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (tlsDir != null) {
            try (java.util.stream.Stream<Path> files = Files.walk(tlsDir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            } catch (IOException leftBehind) {
                // a temporary directory of throw-away certificates; nothing depends on it
            }
        }
    }
}
