package group_redis;

/**
 * The ephemeral key belongs to another live session.
 */
public class KeyOwnedException extends GroupRedisException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong
     */
    public KeyOwnedException(String message) {
        super(message);
    }
}
