package group_redis;

/**
 * Redis answered with an error not covered by a more specific exception.
 */
public class RedisErrorException extends GroupRedisException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong
     */
    public RedisErrorException(String message) {
        super(message);
    }
}
