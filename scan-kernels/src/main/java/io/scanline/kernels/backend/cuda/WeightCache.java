package io.scanline.kernels.backend.cuda;

import io.scanline.kernels.tensor.Tensor;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Device copies of constant tensors (weights, A, D, biases, norm gains), uploaded once per backend
 * instance and found again by the identity of the host array. Contract: a tensor passed as a weight is
 * not modified afterwards (model weights never are). Bounded by bytes, least recently used first out;
 * entries used by the op call in progress are never evicted.
 */
final class WeightCache implements AutoCloseable {
    private static final class Entry {
        final DeviceBuffer buf;
        long lastCall;

        Entry(DeviceBuffer buf) { this.buf = buf; }
    }

    private record Key(Object array) {
        @Override
        public boolean equals(Object o) { return o instanceof Key k && k.array == array; }

        @Override
        public int hashCode() { return System.identityHashCode(array); }
    }

    private final CudaContext ctx;
    private final long capacity;
    private final LinkedHashMap<Key, Entry> map = new LinkedHashMap<>(64, 0.75f, true);
    private long bytes, call, uploads;

    WeightCache(CudaContext ctx, long capacityBytes) {
        this.ctx = ctx;
        this.capacity = capacityBytes;
    }

    /** Marks the start of an op call: what it fetches stays resident until the next call. */
    void beginCall() { call++; }

    /** Device copy of t (F32), or null for a null (optional) tensor. */
    DeviceBuffer get(Tensor t) {
        if (t == null) return null;
        float[] a = t.f32();
        Key k = new Key(a);
        Entry e = map.get(k);
        if (e == null) {
            e = new Entry(ctx.alloc(4L * a.length).upload(a));
            map.put(k, e);
            bytes += e.buf.bytes();
            uploads++;
            evict();
        }
        e.lastCall = call;
        return e.buf;
    }

    private void evict() {
        Iterator<Map.Entry<Key, Entry>> it = map.entrySet().iterator();
        while (bytes > capacity && it.hasNext()) {
            Entry e = it.next().getValue();
            if (e.lastCall == call) continue;
            bytes -= e.buf.bytes();
            e.buf.close();
            it.remove();
        }
    }

    int size() { return map.size(); }

    long uploads() { return uploads; }

    @Override
    public void close() {
        for (Entry e : map.values()) e.buf.close();
        map.clear();
        bytes = 0;
    }
}
