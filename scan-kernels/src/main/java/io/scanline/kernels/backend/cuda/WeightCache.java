package io.scanline.kernels.backend.cuda;

import io.scanline.kernels.tensor.Tensor;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Device copies of constant tensors (weights, A, D, biases, norm gains), uploaded once per backend
 * instance and found again by the identity of the host array (fp32 as given, or converted to bf16 for
 * the bf16 GEMM). Contract: a tensor passed as a weight is
 * not modified afterwards (model weights never are). Bounded by bytes, least recently used first out;
 * entries used by the op call in progress are never evicted.
 */
final class WeightCache implements AutoCloseable {
    private static final class Entry {
        final DeviceBuffer buf;
        long lastCall;

        Entry(DeviceBuffer buf) { this.buf = buf; }
    }

    /** Identity of the host array plus the stored form (fp32 as given, or its bf16 conversion). */
    private record Key(Object array, boolean bf16) {
        @Override
        public boolean equals(Object o) { return o instanceof Key k && k.array == array && k.bf16 == bf16; }

        @Override
        public int hashCode() { return System.identityHashCode(array) * 2 + (bf16 ? 1 : 0); }
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
        Key k = new Key(a, false);
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

    /**
     * bf16 device copy of t (2 bytes per element, round to nearest even), converted on the device once
     * per backend instance; the fp32 staging copy is freed at once.
     */
    DeviceBuffer getBf16(Tensor t, CudaOps ops) {
        float[] a = t.f32();
        Key k = new Key(a, true);
        Entry e = map.get(k);
        if (e == null) {
            DeviceBuffer bf = ctx.alloc(2L * a.length);
            try (DeviceBuffer staging = ctx.alloc(4L * a.length).upload(a)) {
                ops.toBf16(staging, bf, a.length);
            }
            e = new Entry(bf);
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
