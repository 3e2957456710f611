package group_redis;

/**
 * The member id is held by another live session.
 */
public class MemberExistsException extends GroupRedisException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong
     */
    public MemberExistsException(String message) {
        super(message);
    }
}
