package io.scanline.kernels.backend.cuda;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Freed device buffers kept by exact size for reuse, up to a byte limit. When a buffer does not fit,
 * the sizes used longest ago are released first: a process that streams images of changing sizes (a
 * 224² image, then 4096² ones) would otherwise keep the pool full of the old sizes, and every buffer of
 * the new sizes would go back to the driver (cuMemFree waits for the whole device) and be allocated
 * again. Not thread-safe: the owning context synchronizes.
 *
 * @param <T> the buffer handle
 */
final class SizePool<T> {
    // access order: iteration starts at the size taken or given longest ago
    private final LinkedHashMap<Long, ArrayDeque<T>> bySize = new LinkedHashMap<>(16, 0.75f, true);
    private final Consumer<T> release;
    private long limit, bytes, evicted;

    /** @param release gives a buffer back to the driver */
    SizePool(long limit, Consumer<T> release) {
        this.limit = Math.max(0, limit);
        this.release = release;
    }

    /** A pooled buffer of exactly {@code size} bytes, or null. */
    T take(long size) {
        ArrayDeque<T> q = bySize.get(size);
        T t = q == null ? null : q.poll();
        if (t != null) bytes -= size;
        return t;
    }

    /**
     * Keeps a freed buffer, releasing buffers of the least recently used other sizes to make room; a
     * buffer larger than the limit, or one whose room is held by buffers of its own size, is released
     * itself.
     */
    void give(long size, T t) {
        if (size > limit) {
            release.accept(t);
            return;
        }
        if (bytes + size > limit) evictFor(size);
        if (bytes + size > limit) {
            release.accept(t);
            return;
        }
        bySize.computeIfAbsent(size, k -> new ArrayDeque<>()).push(t);
        bytes += size;
    }

    private void evictFor(long size) {
        Iterator<Map.Entry<Long, ArrayDeque<T>>> it = bySize.entrySet().iterator();
        while (bytes + size > limit && it.hasNext()) {
            Map.Entry<Long, ArrayDeque<T>> e = it.next();
            long s = e.getKey();
            if (s == size) continue;
            ArrayDeque<T> q = e.getValue();
            while (!q.isEmpty() && bytes + size > limit) {
                release.accept(q.pop());
                bytes -= s;
                evicted++;
            }
            if (q.isEmpty()) it.remove();
        }
    }

    /** Releases every pooled buffer. */
    void clear() {
        for (ArrayDeque<T> q : bySize.values()) for (T t : q) release.accept(t);
        bySize.clear();
        bytes = 0;
    }

    /** Sets the limit; pooled bytes above it are released (least recently used sizes first). */
    void setLimit(long limit) {
        this.limit = Math.max(0, limit);
        if (bytes > this.limit) evictFor(0);
    }

    long bytes() { return bytes; }

    long limit() { return limit; }

    /** Buffers released to make room for others since creation. */
    long evicted() { return evicted; }
}
