package group_redis;

import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongConsumer;
import java.util.function.LongFunction;
import java.util.function.LongPredicate;
import java.util.function.LongUnaryOperator;

/**
 * Owns one native object and makes its lifetime safe under concurrency: every native call
 * runs between {@link #enter()} and {@link #exit()} (through {@link #call} and its primitive
 * variants, the one place that pairs them), and the native object is freed by whoever leaves
 * last after {@link #markClosed()} and {@link #releaseOwner()}. So closing may run while other
 * threads are inside calls (they finish first), may run twice, and may run from a
 * {@link java.lang.ref.Cleaner}, without a use-after-free.
 */
abstract class NativeRef {
    /** The one Cleaner of the library: frees what a forgotten connector or subscription held. */
    static final Cleaner CLEANER = Cleaner.create();

    private final long handle;
    /** Calls in flight plus one for the owner; the native object is freed when it hits 0. */
    private final AtomicInteger users = new AtomicInteger(1);
    private final AtomicBoolean closed = new AtomicBoolean();
    private final String closedMessage;

    /**
     * @param closedMessage the message of the {@link ConnectorClosedException} a call on the
     *     closed object throws
     */
    NativeRef(long handle, String closedMessage) {
        this.handle = handle;
        this.closedMessage = closedMessage;
    }

    /** Frees the native object: called once, by whoever leaves last. */
    abstract void free(long handle);

    /**
     * Runs one native call on the live handle.
     *
     * @throws ConnectorClosedException when the object is closed
     */
    final <T> T call(LongFunction<T> nativeCall) {
        long h = enter();
        try {
            return nativeCall.apply(h);
        } finally {
            exit();
        }
    }

    /** {@link #call} for a native call returning {@code long}, without boxing it. */
    final long callLong(LongUnaryOperator nativeCall) {
        long h = enter();
        try {
            return nativeCall.applyAsLong(h);
        } finally {
            exit();
        }
    }

    /** {@link #call} for a native call returning {@code boolean}, without boxing it. */
    final boolean callBoolean(LongPredicate nativeCall) {
        long h = enter();
        try {
            return nativeCall.test(h);
        } finally {
            exit();
        }
    }

    /** {@link #call} for a native call returning nothing. */
    final void run(LongConsumer nativeCall) {
        long h = enter();
        try {
            nativeCall.accept(h);
        } finally {
            exit();
        }
    }

    /** Starts a native call: returns the handle, or throws when the object is closed. */
    private long enter() {
        while (true) {
            int current = users.get();
            if (current == 0 || closed.get()) {
                throw new ConnectorClosedException(closedMessage);
            }
            if (users.compareAndSet(current, current + 1)) {
                return handle;
            }
        }
    }

    /** Ends a native call started with {@link #enter()} (or a use taken with {@link #retain()}). */
    private void exit() {
        if (users.decrementAndGet() == 0) {
            free(handle);
        }
    }

    /**
     * Takes one more use that {@link #release()} gives back: the native object outlives it.
     * Only inside a call (or while another use is held), so the object is alive.
     */
    final void retain() {
        users.incrementAndGet();
    }

    /** Gives back a use taken with {@link #retain()}. */
    final void release() {
        exit();
    }

    /** The raw handle, for a closing call made while holding a {@link #retain()}ed use. */
    final long rawHandle() {
        return handle;
    }

    /** Refuses new calls from now on; false when it was already closed. */
    final boolean markClosed() {
        return closed.compareAndSet(false, true);
    }

    /** Gives back the owner's use, once, after {@link #markClosed()}. */
    final void releaseOwner() {
        exit();
    }

    final boolean isClosed() {
        return closed.get();
    }
}
