package group_redis;

import java.util.Objects;

/** A persistent value with its version (1 after the first write, +1 per write). Immutable. */
public final class Versioned {
    private final Object value;
    private final long version;

    Versioned(Object value, long version) {
        this.value = value;
        this.version = version;
    }

    /**
     * The value (decoded JSON).
     *
     * @return the value, possibly null (JSON null)
     */
    public Object value() {
        return value;
    }

    /**
     * The version, for {@link GroupConnector#persistentCas}.
     *
     * @return the version
     */
    public long version() {
        return version;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Versioned && Objects.equals(value, ((Versioned) other).value)
                && version == ((Versioned) other).version;
    }

    @Override
    public int hashCode() {
        return Objects.hash(value, version);
    }

    @Override
    public String toString() {
        return "Versioned{value=" + value + ", version=" + version + "}";
    }
}
