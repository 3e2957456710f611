package group_redis;

/**
 * Redis could not be reached or the connection broke.
 */
public class ConnectionException extends GroupRedisException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong
     */
    public ConnectionException(String message) {
        super(message);
    }
}
