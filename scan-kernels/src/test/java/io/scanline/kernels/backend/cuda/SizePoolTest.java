package io.scanline.kernels.backend.cuda;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The exact-size buffer pool: reuse, the limit, and room made by releasing the sizes used longest ago. */
class SizePoolTest {
    private final List<String> released = new ArrayList<>();
    private final SizePool<String> pool = new SizePool<>(100, released::add);

    @Test
    void reusesBuffersOfTheExactSize() {
        pool.give(40, "a");
        assertNull(pool.take(36));
        assertEquals("a", pool.take(40));
        assertNull(pool.take(40));
        assertEquals(0, pool.bytes());
        assertTrue(released.isEmpty());
    }

    @Test
    void oldSizesMakeRoomForNewOnes() {
        pool.give(30, "small1");
        pool.give(30, "small2");
        pool.give(30, "small3");       // 90 of 100: the sizes of an earlier, smaller image
        pool.give(50, "big1");         // needs 40 more: two small ones go back to the driver
        assertEquals(List.of("small3", "small2"), released);
        assertEquals(80, pool.bytes());
        assertEquals(2, pool.evicted());
        assertEquals("big1", pool.take(50));
        assertEquals("small1", pool.take(30));
    }

    @Test
    void evictsTheLeastRecentlyUsedSizeFirst() {
        pool.give(20, "a");
        pool.give(30, "b");
        pool.give(40, "c");            // 90
        assertEquals("a", pool.take(20)); // size 20 is now the most recently used
        pool.give(20, "a");
        pool.give(25, "d");            // needs 15 more: size 30 was used longest ago
        assertEquals(List.of("b"), released);
        assertEquals(85, pool.bytes());
    }

    @Test
    void aBufferThatCannotFitIsReleasedItself() {
        pool.give(60, "x");
        pool.give(60, "y");            // room held by its own size: released, x stays
        assertEquals(List.of("y"), released);
        pool.give(500, "huge");        // above the limit: released at once, nothing evicted for it
        assertEquals(List.of("y", "huge"), released);
        assertEquals(60, pool.bytes());
    }

    @Test
    void lowerLimitAndClearRelease() {
        pool.give(40, "a");
        pool.give(40, "b");
        pool.setLimit(50);
        assertEquals(1, released.size());
        assertEquals(40, pool.bytes());
        pool.clear();
        assertEquals(2, released.size());
        assertEquals(0, pool.bytes());
    }
}
