package group_redis;

/**
 * A value could not be converted to or from JSON (for example an object Jackson cannot serialize).
 */
public class InvalidJsonException extends InvalidArgumentException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong
     */
    public InvalidJsonException(String message) {
        super(message);
    }
}
