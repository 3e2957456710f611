package group_redis;

/**
 * Version information; {@code java -cp group-redis.jar group_redis.Version} also checks that
 * the native library loads on this machine.
 */
public final class Version {
    private Version() {
    }

    /**
     * The version of this jar.
     *
     * @return the version, or "unknown" when not run from the packaged jar
     */
    public static String version() {
        String version = Version.class.getPackage().getImplementationVersion();
        if (version == null && Version.class.getModule().getDescriptor() != null) {
            // On the module path the manifest's package attributes are not read; the
            // automatic module's version (from the jar's file name) is the same number.
            version = Version.class.getModule().getDescriptor().rawVersion().orElse(null);
        }
        return version == null ? "unknown" : version;
    }

    /**
     * Prints the jar version and the native library's ABI version (loading the library).
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        NativeLib.ensureLoaded();
        System.out.println("group-redis " + version() + " (native ABI " + NativeLib.abiVersion() + ", "
                + NativeLoader.platform() + ")");
    }
}
