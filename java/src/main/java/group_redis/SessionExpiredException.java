package group_redis;

/**
 * The session's lease ran out before the operation could be applied; the connector is creating a new session, so retrying is reasonable.
 */
public class SessionExpiredException extends GroupRedisException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong
     */
    public SessionExpiredException(String message) {
        super(message);
    }
}
