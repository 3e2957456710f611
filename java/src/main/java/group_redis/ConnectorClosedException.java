package group_redis;

/**
 * The connector was closed; nothing more can be done with it.
 */
public class ConnectorClosedException extends GroupRedisException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong
     */
    public ConnectorClosedException(String message) {
        super(message);
    }
}
