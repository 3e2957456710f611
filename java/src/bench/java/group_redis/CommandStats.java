package group_redis;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/**
 * Redis INFO commandstats over a plain socket of its own (neither library's connection, so
 * the benchmark's own commands are the only ones it has to leave out: INFO and CONFIG).
 */
final class CommandStats implements AutoCloseable {
    /**
     * Commands whose time is counted in full: what only a client sends. A script's (EVAL,
     * EVALSHA, FCALL) time already includes the commands it runs, and those commands are listed
     * again in commandstats, so they count as calls but not as time. The pub/sub and
     * connection commands cannot run inside a script. A command a client also sends itself
     * (Redisson's DEL of its unlock latch after each unlock) is found by {@link #monitor}.
     */
    private static final Set<String> TOP_LEVEL = Set.of("eval", "evalsha", "eval_ro", "evalsha_ro", "fcall",
            "fcall_ro", "subscribe", "unsubscribe", "psubscribe", "punsubscribe", "ssubscribe", "sunsubscribe",
            "ping", "client", "hello", "select", "readonly", "auth", "multi", "exec", "script");

    /** Whether only a client sends {@code name} ("script|load" is SCRIPT's subcommand LOAD). */
    private static boolean onlyTopLevel(String name) {
        int bar = name.indexOf('|');
        return TOP_LEVEL.contains(bar < 0 ? name : name.substring(0, bar));
    }

    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;

    CommandStats(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        out = socket.getOutputStream();
        in = new BufferedInputStream(socket.getInputStream());
    }

    /** CONFIG RESETSTAT: commandstats start again from zero. */
    void reset() throws IOException {
        String reply = command("CONFIG", "RESETSTAT");
        if (!reply.equals("OK")) {
            throw new IOException("CONFIG RESETSTAT: " + reply);
        }
    }

    /** What Redis ran since the last reset: calls and usec per command (INFO, CONFIG left out). */
    Snapshot read() throws IOException {
        Map<String, long[]> byCommand = new TreeMap<>();
        for (String line : command("INFO", "commandstats").split("\r\n")) {
            if (!line.startsWith("cmdstat_")) {
                continue;
            }
            int colon = line.indexOf(':');
            String name = line.substring("cmdstat_".length(), colon);
            if (name.equals("info") || name.startsWith("config")) { // Redis 7: config|resetstat
                continue;
            }
            long calls = 0;
            long usec = 0;
            for (String field : line.substring(colon + 1).split(",")) {
                if (field.startsWith("calls=")) {
                    calls = Long.parseLong(field.substring(6));
                } else if (field.startsWith("usec=")) {
                    usec = Long.parseLong(field.substring(5));
                }
            }
            byCommand.put(name, new long[] {calls, usec});
        }
        return new Snapshot(byCommand);
    }

    /** Commands and time of one measured run. */
    static final class Snapshot {
        final Map<String, long[]> byCommand;

        Snapshot(Map<String, long[]> byCommand) {
            this.byCommand = byCommand;
        }

        /** Every command Redis ran, a script's own included. */
        long calls() {
            return byCommand.values().stream().mapToLong(v -> v[0]).sum();
        }

        /**
         * Time of what clients sent, in microseconds: {@link #TOP_LEVEL} in full, and of any
         * other command the share its clients sent themselves:, {@code topLevelPerAcquisition}
         * (from {@link #monitor}) times {@code acquisitions}, at that command's mean time per call.
         */
        double usec(Map<String, Double> topLevelPerAcquisition, long acquisitions) {
            double usec = 0;
            for (Map.Entry<String, long[]> e : byCommand.entrySet()) {
                long calls = e.getValue()[0];
                if (onlyTopLevel(e.getKey())) {
                    usec += e.getValue()[1];
                } else if (topLevelPerAcquisition.containsKey(e.getKey()) && calls > 0) {
                    double sent = Math.min(calls, topLevelPerAcquisition.get(e.getKey()) * acquisitions);
                    usec += e.getValue()[1] * sent / calls;
                }
            }
            return usec;
        }

        /** "fcall=2.00 hget=1.00 ...": calls per command per acquisition, most first (from 0.005). */
        String breakdown(long acquisitions) {
            StringBuilder text = new StringBuilder();
            byCommand.entrySet().stream().filter(e -> e.getValue()[0] * 200 >= Math.max(1, acquisitions))
                    .sorted((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]))
                    .forEach(e -> text.append(text.length() == 0 ? "" : " ").append(e.getKey()).append('=')
                            .append(String.format(Locale.ROOT, "%.2f",
                                    e.getValue()[0] / (double) Math.max(1, acquisitions))));
            return text.toString();
        }
    }

    /**
     * Runs {@code work} under MONITOR (on a connection of its own) and returns, per command
     * that is not in {@link #TOP_LEVEL}, how many times clients sent it themselves (not from a
     * script: MONITOR marks those "[0 lua]"), divided by what {@code work} returns (its
     * acquisitions).
     */
    static Map<String, Double> monitor(int port, Callable<Long> work) throws Exception {
        Map<String, Double> sent = new TreeMap<>();
        try (CommandStats monitor = new CommandStats(port)) {
            String ok = monitor.command("MONITOR");
            if (!ok.equals("OK")) {
                throw new IOException("MONITOR: " + ok);
            }
            Thread reader = new Thread(() -> {
                try {
                    while (true) {
                        String line = monitor.line();
                        int bracket = line.indexOf(']');
                        if (bracket < 0 || line.substring(0, bracket).endsWith(" lua")) {
                            continue;
                        }
                        int open = line.indexOf('"', bracket);
                        String name = line.substring(open + 1, line.indexOf('"', open + 1)).toLowerCase(Locale.ROOT);
                        if (!onlyTopLevel(name) && !name.equals("info") && !name.equals("config")) {
                            synchronized (sent) {
                                sent.merge(name, 1.0, Double::sum);
                            }
                        }
                    }
                } catch (IOException closed) {
                    // the end of the calibration
                }
            }, "monitor");
            reader.start();
            long per = work.call();
            Thread.sleep(200); // the last lines of MONITOR
            monitor.socket.close();
            reader.join();
            synchronized (sent) {
                sent.replaceAll((name, count) -> count / per);
                return new TreeMap<>(sent);
            }
        }
    }

    private String command(String... args) throws IOException {
        StringBuilder request = new StringBuilder("*").append(args.length).append("\r\n");
        for (String arg : args) {
            request.append('$').append(arg.length()).append("\r\n").append(arg).append("\r\n");
        }
        out.write(request.toString().getBytes(StandardCharsets.UTF_8));
        out.flush();
        String head = line();
        switch (head.charAt(0)) {
            case '+':
                return head.substring(1);
            case '$':
                byte[] body = in.readNBytes(Integer.parseInt(head.substring(1)));
                line(); // the CRLF after a bulk string
                return new String(body, StandardCharsets.UTF_8);
            default:
                throw new IOException(String.join(" ", args) + ": " + head);
        }
    }

    private String line() throws IOException {
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = in.read()) != '\n') {
            if (c < 0) {
                throw new IOException("connection closed");
            }
            if (c != '\r') {
                line.append((char) c);
            }
        }
        return line.toString();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
