package group_redis;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real redis-server for tests, on a free port, without persistence. Stop and start it
 * again on the same port to simulate a Redis restart (its data is gone then).
 */
final class RedisServer implements AutoCloseable {
    private static final String BINARY = System.getenv().getOrDefault("REDIS_SERVER", "/usr/bin/redis-server");
    private static final long READY_TIMEOUT_MS = 20_000;

    private final int port;
    private Process process;

    private RedisServer(int port) {
        this.port = port;
    }

    static RedisServer start() throws IOException, InterruptedException {
        RedisServer server = new RedisServer(freePort());
        server.startProcess();
        return server;
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
        return "redis://127.0.0.1:" + port;
    }

    synchronized void startProcess() throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(List.of(BINARY, "--port", Integer.toString(port), "--bind",
                "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes"));
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
    }
}
