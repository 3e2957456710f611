package group_redis;

/**
 * An argument was unusable: null where a value is required, an empty or oversized name, a NUL character, a bad URL or an impossible duration.
 */
public class InvalidArgumentException extends GroupRedisException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong
     */
    public InvalidArgumentException(String message) {
        super(message);
    }
}
