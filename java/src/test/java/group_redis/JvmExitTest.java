package group_redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Dispatcher threads are attached to the JVM only while they deliver, so they never hold up
 * the JVM's exit: a program that forgets to close still ends when main returns.
 */
class JvmExitTest {
    @RegisterExtension
    static final RedisExtension REDIS = new RedisExtension();

    @Test
    void aProgramThatForgetsToCloseStillExits() throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        Process child = new ProcessBuilder(List.of(java, "-Xcheck:jni", "-cp", System.getProperty("java.class.path"),
                ForgetfulMain.class.getName(), REDIS.url(), REDIS.freshGroup().build().group()))
                .redirectErrorStream(true).start();
        try {
            boolean exited = child.waitFor(Waits.BOUND_MS, TimeUnit.MILLISECONDS);
            String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(exited, "the JVM did not exit after main returned; output: " + output);
            assertEquals(0, child.exitValue(), output);
            assertTrue(output.contains("DELIVERED"), output);
        } finally {
            child.destroyForcibly();
        }
    }
}
