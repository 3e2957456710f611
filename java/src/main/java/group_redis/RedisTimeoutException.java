package group_redis;

/**
 * Redis did not answer within the command timeout.
 */
public class RedisTimeoutException extends ConnectionException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong
     */
    public RedisTimeoutException(String message) {
        super(message);
    }
}
