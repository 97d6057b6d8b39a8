package io.scanline.kernels.tensor;

import io.scanline.kernels.backend.reference.ReferenceBackend;
import io.scanline.kernels.bench.RandomTensors;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Tensors with {@link DeferredF32} data (what a GPU backend hands out), with a host-only fake: nothing
 * is produced before a host read, it is produced once and shared by reshapes, and every Tensor method
 * and a host backend give exactly what they give for the same data held on the host (exact equality:
 * the same floats go through the same code).
 */
class DeferredTensorTest {

    /** Counts productions and releases; hands out a copy of fixed data. */
    static final class Fake extends DeferredF32 {
        final float[] data;
        final AtomicInteger produced = new AtomicInteger(), released = new AtomicInteger();

        Fake(float[] data) {
            super(data.length);
            this.data = data;
        }

        @Override
        protected float[] produce() {
            produced.incrementAndGet();
            return data.clone();
        }

        @Override
        protected void afterMaterialize() { released.incrementAndGet(); }
    }

    private final RandomTensors r = new RandomTensors(5);

    @Test
    void nothingIsProducedUntilAHostRead() {
        Tensor h = r.normal(0, 1, 2, 3, 4);
        Fake f = new Fake(h.f32());
        Tensor t = Tensor.deferred(f, 2, 3, 4);
        Tensor v = t.reshape(6, 4);
        assertEquals(24, t.numel());
        assertEquals(DType.F32, t.dtype());
        assertEquals(96, v.bytes());
        assertSame(f, v.deferred(), "a reshape shares the deferred data");
        assertSame(t, t.toF32());
        assertEquals(0, f.produced.get());
        float[] a = v.f32();
        assertEquals(1, f.produced.get());
        assertEquals(1, f.released.get());
        assertSame(a, t.f32(), "every sharing tensor sees the one host array");
        assertNull(t.deferred());
        assertNull(v.deferred());
        a[0] = 42f;
        assertEquals(42.0, t.getDouble(0), "host writes are the data from now on");
        assertEquals(1, f.produced.get());
    }

    @Test
    void tensorMethodsMatchHostData() {
        Tensor h = r.normal(0, 1, 3, 5, 2);
        Tensor t = Tensor.deferred(new Fake(h.f32()), 3, 5, 2);
        assertArrayEquals(h.transpose(1, 2).f32(), Tensor.deferred(new Fake(h.f32()), 3, 5, 2).transpose(1, 2).f32());
        assertArrayEquals(h.sliceAxis1(1, 4).f32(), Tensor.deferred(new Fake(h.f32()), 3, 5, 2).sliceAxis1(1, 4).f32());
        assertArrayEquals(h.batch(2).f32(), Tensor.deferred(new Fake(h.f32()), 3, 5, 2).batch(2).f32());
        assertArrayEquals(h.toF64().f64(), Tensor.deferred(new Fake(h.f32()), 3, 5, 2).toF64().f64());
        Tensor c = Tensor.deferred(new Fake(h.f32()), 3, 5, 2).copy();
        assertArrayEquals(h.f32(), c.f32());
        assertNull(c.deferred());
        Tensor cat = Tensor.concatAxis1(List.of(h, t, h.sliceAxis1(0, 1)));
        assertArrayEquals(Tensor.concatAxis1(List.of(h, h, h.sliceAxis1(0, 1))).f32(), cat.f32());
        assertEquals(h.getDouble(17), Tensor.deferred(new Fake(h.f32()), 3, 5, 2).getDouble(17));
    }

    @Test
    void hostBackendReadsDeferredInputs() {
        ReferenceBackend ref = new ReferenceBackend();
        Tensor x = r.normal(0, 1, 2, 7, 12), w = r.normal(0, 0.3, 5, 12), b = r.normal(0, 1, 5);
        Tensor dx = Tensor.deferred(new Fake(x.f32()), 2, 7, 12);
        assertArrayEquals(ref.linear(x, w, b).f32(), ref.linear(dx, w, b).f32());
        Tensor tail = r.normal(0, 1, 2, 3, 12), cw = r.normal(0, 0.5, 12, 4);
        Tensor t1 = tail.copy(), t2 = tail.copy();
        assertArrayEquals(ref.causalConv1d(x, cw, null, t1, true).f32(),
                ref.causalConv1d(Tensor.deferred(new Fake(x.f32()), 2, 7, 12), cw, null, t2, true).f32());
        assertArrayEquals(t1.f32(), t2.f32());
        assertArrayEquals(ref.tanh(x).f32(), ref.tanh(Tensor.deferred(new Fake(x.f32()), 2, 7, 12)).f32());
    }

    @Test
    void concurrentReadsProduceOnce() throws Exception {
        Fake f = new Fake(new float[1 << 16]);
        Tensor t = Tensor.deferred(f, 1 << 16);
        Thread[] ts = new Thread[4];
        float[][] got = new float[ts.length][];
        for (int i = 0; i < ts.length; i++) {
            int k = i;
            ts[i] = new Thread(() -> got[k] = t.f32());
            ts[i].start();
        }
        for (Thread th : ts) th.join(10_000);
        assertEquals(1, f.produced.get());
        for (float[] g : got) assertSame(got[0], g);
    }

    @Test
    void badInputFailsClearly() {
        assertThrows(IllegalArgumentException.class, () -> Tensor.deferred(null, 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor.deferred(new Fake(new float[6]), 4, 2));
        assertNotNull(e.getMessage());
        DeferredF32 wrong = new DeferredF32(3) {
            @Override
            protected float[] produce() { return new float[2]; }
        };
        IllegalStateException s = assertThrows(IllegalStateException.class, () -> Tensor.deferred(wrong, 3).f32());
        assertEquals("deferred data produced 2 floats, expected 3", s.getMessage());
        assertThrows(IllegalStateException.class, () -> Tensor.of(new double[2], 2).f32());
    }
}
