package group_redis;

/**
 * Redis answered with data group-redis did not write (foreign or corrupt keys).
 */
public class ProtocolException extends GroupRedisException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong
     */
    public ProtocolException(String message) {
        super(message);
    }
}
