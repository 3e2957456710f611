package group_redis;

/**
 * One persistent entry: as {@link GroupConnector#persistentList(String)} returns it, or as a
 * {@link DataSnapshot} holds it. Immutable.
 */
public final class Entry {
    private final String path;
    private final Object value;
    private final long version;

    Entry(String path, Object value, long version) {
        this.path = path;
        this.value = value;
        this.version = version;
    }

    /**
     * The path.
     *
     * @return the path
     */
    public String path() {
        return path;
    }

    /**
     * The value (decoded JSON).
     *
     * @return the value
     */
    public Object value() {
        return value;
    }

    /**
     * The version.
     *
     * @return the version
     */
    public long version() {
        return version;
    }

    @Override
    public String toString() {
        return "Entry{path=" + path + ", value=" + value + ", version=" + version + "}";
    }
}
