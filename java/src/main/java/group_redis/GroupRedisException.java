package group_redis;

/**
 * Base class of every error group-redis reports. Unchecked, so the seed API
 * ({@link RedisConn}) keeps its signatures; catch a subclass to react to one cause.
 */
public class GroupRedisException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong
     */
    public GroupRedisException(String message) {
        super(message);
    }

    /**
     * Creates the exception with its cause.
     *
     * @param message what went wrong
     * @param cause the underlying failure
     */
    public GroupRedisException(String message, Throwable cause) {
        super(message, cause);
    }
}
