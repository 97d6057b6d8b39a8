package io.scanline.kernels.backend.djl;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Direct buffers that host tensors are copied into before libtorch wraps them (from_blob, no second
 * copy). Glossary: slot = the k-th buffer handed out during one op.
 *
 * <p>Why: DJL's own {@code create(FloatBuffer)} allocates a fresh direct buffer per call (zeroed,
 * tracked by a Cleaner), which cost ~6x the copy itself for a chunk-sized tensor. An op makes the same
 * sequence of conversions every call, so slot k is reused by the k-th conversion of the next op.
 *
 * <p>Safety: a wrapped array aliases its slot, so slots are handed back only when the op's
 * sub-manager is closed ({@link #reset()}); nothing created inside an op outlives it.
 */
final class Staging {
    private static final ThreadLocal<Staging> CURRENT = new ThreadLocal<>();

    private final List<ByteBuffer> slots = new ArrayList<>();
    private int used;

    /** The staging of the op running on this thread, or null outside an op. */
    static Staging current() { return CURRENT.get(); }

    void enter() {
        used = 0;
        CURRENT.set(this);
    }

    void reset() {
        used = 0;
        CURRENT.remove();
    }

    /** A native-order buffer with position 0 and limit {@code bytes}, free until {@link #reset()}. */
    ByteBuffer take(int bytes) {
        ByteBuffer b = used < slots.size() ? slots.get(used) : null;
        if (b == null || b.capacity() < bytes) {
            int cap = Math.max(bytes, b == null ? 0 : b.capacity());
            b = ByteBuffer.allocateDirect(Math.max(cap, 64)).order(ByteOrder.nativeOrder());
            if (used < slots.size()) slots.set(used, b); else slots.add(b);
        }
        used++;
        b.clear().limit(bytes);
        return b;
    }
}
