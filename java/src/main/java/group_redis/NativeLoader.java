package group_redis;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Loads libgroup_redis once per JVM, in this order:
 * <ol>
 * <li>the file named by the system property {@value #PATH_PROPERTY}, if set (nothing else is
 * tried then, so a wrong path is reported rather than silently replaced);</li>
 * <li>{@code System.loadLibrary("group_redis")} (java.library.path), so a system package can
 * provide it;</li>
 * <li>the copy inside this jar under {@code /native/<os>-<arch>/}, extracted to a temporary
 * file.</li>
 * </ol>
 * The loaded library must report the ABI version this jar was built for.
 */
final class NativeLoader {
    /** System property naming the library file to load instead of searching. */
    static final String PATH_PROPERTY = "group_redis.native.path";

    private static final String LIBRARY = "group_redis";

    private NativeLoader() {
    }

    static synchronized void load() {
        String explicit = System.getProperty(PATH_PROPERTY);
        // Where the library came from, and what to do when it is the wrong build.
        String source;
        String remedy;
        if (explicit != null && !explicit.isEmpty()) {
            String path = Path.of(explicit).toAbsolutePath().toString();
            System.load(path);
            source = "-D" + PATH_PROPERTY + "=" + path;
            remedy = "point it at the library built with this jar";
        } else {
            try {
                System.loadLibrary(LIBRARY);
                source = "java.library.path (" + System.getProperty("java.library.path", "") + ")";
                remedy = "remove that copy or update it to this jar's version";
            } catch (UnsatisfiedLinkError notOnLibraryPath) {
                source = "this jar (" + loadFromJar(notOnLibraryPath) + ")";
                remedy = "the jar was packaged with a stale library: rebuild the native library"
                        + " (cargo build --release -p group-redis-ffi) before packaging";
            }
        }
        int found = NativeLib.abiVersion();
        if (found != NativeLib.EXPECTED_ABI_VERSION) {
            throw new UnsatisfiedLinkError("libgroup_redis loaded from " + source + " has ABI version "
                    + found + " but this jar needs " + NativeLib.EXPECTED_ABI_VERSION + ": " + remedy);
        }
    }

    /** Extracts and loads the jar's copy; returns its resource name. */
    private static String loadFromJar(UnsatisfiedLinkError notOnLibraryPath) {
        String resource = "/native/" + platform() + "/" + System.mapLibraryName(LIBRARY);
        try (InputStream in = NativeLoader.class.getResourceAsStream(resource)) {
            if (in == null) {
                UnsatisfiedLinkError error = new UnsatisfiedLinkError("libgroup_redis is not on java.library.path"
                        + " and this jar has no " + resource + " (platform not supported?); set -D"
                        + PATH_PROPERTY + "=/path/to/" + System.mapLibraryName(LIBRARY));
                error.addSuppressed(notOnLibraryPath);
                throw error;
            }
            Path file = Files.createTempFile("libgroup_redis-", ".so");
            try {
                Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
                System.load(file.toAbsolutePath().toString());
            } finally {
                // Once loaded (or failed) the file is no longer needed: on Linux the mapping
                // outlives the name, so not even a SIGKILLed JVM leaves a copy behind.
                if (!file.toFile().delete()) {
                    file.toFile().deleteOnExit();
                }
            }
        } catch (IOException e) {
            UnsatisfiedLinkError error = new UnsatisfiedLinkError("cannot extract " + resource + ": " + e);
            error.addSuppressed(notOnLibraryPath);
            throw error;
        }
        return resource;
    }

    /** {@code linux-x86_64} style name of this machine, as used for the jar's folders. */
    static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String osName = os.contains("linux") ? "linux" : os.contains("mac") ? "macos" : os.replace(' ', '_');
        String archName = arch.equals("amd64") || arch.equals("x86_64") ? "x86_64"
                : arch.equals("aarch64") || arch.equals("arm64") ? "aarch64" : arch;
        return osName + "-" + archName;
    }
}
