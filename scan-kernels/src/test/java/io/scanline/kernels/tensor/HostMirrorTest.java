package io.scanline.kernels.tensor;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.*;

/** A mirror stands for a device copy: any host read of the array, through any tensor over it, sees the newer data. */
class HostMirrorTest {
    private final ReferenceQueue<Object> queue = new ReferenceQueue<>();

    /** A "device" copy that an owner updated: pulled into the host array on the first host read. */
    private final class Fake extends HostMirror {
        final Object newer;   // float[] or double[], as the mirrored tensor
        int pulls, detaches;

        Fake(Tensor t, Object newer) {
            super(t, queue);
            this.newer = newer;
        }

        @Override protected void pull(Object into) { pulls++; System.arraycopy(newer, 0, into, 0, java.lang.reflect.Array.getLength(into)); }

        @Override protected void afterDetach() { detaches++; }

        @Override protected Object lock() { return this; }
    }

    @AfterEach
    void noneLeft() {
        assertEquals(0, HostMirror.attachedCount(), "a test left a mirror attached");
    }

    @Test
    void hostReadPullsOnceAndDetaches() {
        Tensor t = Tensor.of(new float[] {1, 2, 3}, 3);
        Fake m = new Fake(t, new float[] {7, 8, 9});
        assertSame(m, HostMirror.of(t));
        assertEquals(1, HostMirror.attachedCount());
        assertArrayEquals(new float[] {7, 8, 9}, t.f32());
        assertEquals(1, m.pulls);
        assertEquals(1, m.detaches);
        assertFalse(m.attached());
        assertNull(HostMirror.of(t));
        t.f32()[0] = 5; // the host array is the data again
        assertArrayEquals(new float[] {5, 8, 9}, t.f32());
        assertEquals(1, m.pulls);
    }

    @Test
    void aliasesAndReshapesShareTheMirrorOfTheirArray() {
        float[] a = {1, 2, 3, 4};
        Tensor t = Tensor.of(a, 2, 2);
        Tensor reshaped = t.reshape(4);
        Fake m = new Fake(t, new float[] {5, 6, 7, 8});
        Tensor alias = Tensor.of(a, 1, 4);
        assertSame(m, HostMirror.of(reshaped), "a reshape taken before the mirror sees it");
        assertSame(m, HostMirror.of(alias));
        assertSame(m, HostMirror.of(t.reshape(1, 4)), "reshaping does not pull");
        assertEquals(0, m.pulls);
        assertEquals(8.0, alias.getDouble(3));
        assertEquals(1, m.pulls);
        assertArrayEquals(new float[] {5, 6, 7, 8}, t.f32());
        assertEquals(1, m.pulls, "pulled once for all tensors over the array");
    }

    @Test
    void everyReadingMethodPullsFirst() {
        for (Function<Tensor, float[]> read : java.util.List.<Function<Tensor, float[]>>of(
                t -> t.copy().f32(), t -> t.toF64().toF32().f32(), t -> t.sliceAxis1(0, 2).f32(),
                t -> t.flipAxis1().flipAxis1().f32(), t -> t.batch(0).f32(), t -> t.transpose(0, 1).transpose(0, 1).f32(),
                t -> Tensor.concatAxis1(java.util.List.of(t)).f32())) {
            Tensor t = Tensor.of(new float[] {1, 2}, 1, 2);
            Fake m = new Fake(t, new float[] {3, 4});
            assertArrayEquals(new float[] {3, 4}, read.apply(t));
            assertEquals(1, m.pulls);
        }
    }

    @Test
    void f64ArraysAreMirroredAndEveryReadingMethodPullsFirst() {
        for (Function<Tensor, double[]> read : java.util.List.<Function<Tensor, double[]>>of(
                Tensor::f64, t -> t.copy().f64(), t -> t.toF32().toF64().f64(), t -> t.sliceAxis1(0, 2).f64(),
                t -> t.batch(0).f64(), t -> t.transpose(0, 1).transpose(0, 1).f64(),
                t -> Tensor.concatAxis1(java.util.List.of(t)).f64(), t -> new double[] {t.getDouble(0), t.getDouble(1)})) {
            Tensor t = Tensor.of(new double[] {1, 2}, 1, 2);
            Fake m = new Fake(t, new double[] {3, 4});
            assertSame(m, HostMirror.of(t.reshape(2)), "reshaping does not pull");
            assertArrayEquals(new double[] {3, 4}, read.apply(t), 0);
            assertEquals(1, m.pulls);
            assertNull(HostMirror.of(t));
        }
    }

    @Test
    void detachWithoutPullKeepsHostDataAndRunsOnce() {
        Tensor t = Tensor.of(new float[] {1, 2}, 2);
        Fake m = new Fake(t, new float[] {3, 4});
        m.detach();
        m.detach();
        assertEquals(1, m.detaches);
        assertArrayEquals(new float[] {1, 2}, t.f32());
        assertEquals(0, m.pulls);
    }

    @Test
    void pullAndDetachWritesTheHostArray() {
        Tensor t = Tensor.of(new float[] {1, 2}, 2);
        Fake m = new Fake(t, new float[] {3, 4});
        m.pullAndDetach();
        assertEquals(1, m.pulls);
        assertEquals(1, m.detaches);
        assertNull(HostMirror.of(t));
        assertArrayEquals(new float[] {3, 4}, t.f32());
    }

    @Test
    void onlyOneMirrorPerArrayAndOnlyHostData() {
        Tensor t = Tensor.of(new float[] {1}, 1);
        Fake m = new Fake(t, new float[] {2});
        assertThrows(IllegalArgumentException.class, () -> new Fake(Tensor.of((float[]) t.hostArrayOrNull(), 1), new float[] {3}));
        m.detach();
        DeferredF32 lazy = new DeferredF32(1) {
            @Override protected float[] produce() { return new float[1]; }
        };
        Tensor deferred = Tensor.deferred(lazy, 1);
        assertFalse(HostMirror.canMirror(deferred));
        assertThrows(IllegalArgumentException.class, () -> new Fake(deferred, new float[] {3}));
        deferred.f32(); // materialized: still not an array of its own
        assertFalse(HostMirror.canMirror(deferred));
        assertTrue(HostMirror.canMirror(Tensor.zeros(2)));
        assertTrue(HostMirror.canMirror(Tensor.zerosF64(2)));
        assertEquals(0, HostMirror.attachedCount());
    }

    @Test
    void collectedArraysReachTheOwnersQueue() throws InterruptedException {
        Fake m = attachToGarbage();
        Reference<?> r = null;
        for (int i = 0; i < 50 && r == null; i++) {
            System.gc();
            r = queue.remove(100);
        }
        assertSame(m.reference(), r, "the owner learns that nobody can read the array any more");
        m.detach();
        assertEquals(0, m.pulls);
    }

    private Fake attachToGarbage() {
        return new Fake(Tensor.zeros(1000), new float[1000]);
    }
}
