package group_redis;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One message delivered to a member ({@link Messages#listen()}): sent to it alone, broadcast,
 * or a request to answer with {@link Messages#reply(Message, Object)}. Immutable.
 */
public final class Message {
    /** How the message was sent. */
    public enum Kind {
        /** To this member alone ({@link Messages#send}). */
        SEND,
        /** To every live member, or a sub-group ({@link Messages#broadcast}). */
        BROADCAST,
        /** A request: answer it with {@link Messages#reply(Message, Object)}. */
        REQUEST
    }

    private final String to;
    private final String from;
    private final String session;
    private final Kind kind;
    private final Object payload;
    private final String requestId;
    private final String id;
    private final String json;

    private Message(Map<String, Object> map, String json) {
        this.to = (String) map.get("to");
        this.from = (String) map.get("from");
        this.session = (String) map.get("session");
        this.kind = Kind.valueOf(((String) map.get("kind")).toUpperCase(Locale.ROOT));
        this.payload = map.get("payload");
        this.requestId = (String) map.get("request_id");
        this.id = (String) map.get("id");
        this.json = json;
    }

    /** Parses {@code {"to","from","session","kind","payload","request_id","id"}}. */
    static Message fromJson(String text) {
        return new Message(Json.asMap(Json.decode(text)), text);
    }

    /** The message as the library delivered it (what {@link Messages#reply} sends back). */
    String json() {
        return json;
    }

    /** @return the member it was delivered to */
    public String to() {
        return to;
    }

    /** @return the sender's member id */
    public String from() {
        return from;
    }

    /** @return the sender's session */
    public String session() {
        return session;
    }

    /** @return how it was sent */
    public Kind kind() {
        return kind;
    }

    /** @return whether it expects a {@link Messages#reply(Message, Object)} */
    public boolean isRequest() {
        return kind == Kind.REQUEST;
    }

    /** @return the payload (JSON as Java objects, as {@link GroupConnector#persistentGet} gives) */
    public Object payload() {
        return payload;
    }

    /** @return for a request, the id its reply goes to; null otherwise */
    public String requestId() {
        return requestId;
    }

    /** @return its id in the recipient's inbox (grows in delivery order) */
    public String id() {
        return id;
    }

    @Override
    public String toString() {
        Map<String, Object> shown = new LinkedHashMap<>();
        shown.put("to", to);
        shown.put("from", from);
        shown.put("kind", kind);
        shown.put("payload", payload);
        return "Message" + shown;
    }
}
