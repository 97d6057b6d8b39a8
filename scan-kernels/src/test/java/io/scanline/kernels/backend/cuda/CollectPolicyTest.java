package io.scanline.kernels.backend.cuda;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** When resident outputs ask for a collection: at the budget, and past a working set that alone exceeds it. */
class CollectPolicyTest {
    private static final long MIB = 1L << 20;

    @Test
    void collectsPastTheBudgetAndStaysThereWhileCollectionsMakeRoom() {
        CollectPolicy p = new CollectPolicy(100 * MIB);
        assertFalse(p.shouldCollect(90 * MIB, 10 * MIB));
        assertTrue(p.shouldCollect(90 * MIB, 11 * MIB));
        p.collected(30 * MIB, 11 * MIB);            // garbage found: back under the budget
        assertEquals(100 * MIB, p.threshold());
        assertTrue(p.shouldCollect(95 * MIB, 10 * MIB));
    }

    @Test
    void aWorkingSetOverTheBudgetRaisesTheThresholdInsteadOfAskingOnEveryAllocation() {
        CollectPolicy p = new CollectPolicy(100 * MIB);
        // a batch's step holds 300 MiB of live outputs: one futile collection ...
        assertTrue(p.shouldCollect(290 * MIB, 10 * MIB));
        assertTrue(p.stillOver(290 * MIB, 10 * MIB));
        p.collected(290 * MIB, 10 * MIB);
        assertEquals(325 * MIB, p.threshold());      // working set + a quarter of the budget
        // ... then the next allocations of the step go through without asking
        int asked = 0;
        for (long live = 300 * MIB; live < 324 * MIB; live += MIB) if (p.shouldCollect(live, MIB)) asked++;
        assertEquals(0, asked);
        assertTrue(p.shouldCollect(325 * MIB, MIB), "garbage past the raised threshold is still collected");
        // a later, smaller step does not lower it: at most a quarter of the budget of garbage past the largest set
        p.collected(50 * MIB, MIB);
        assertEquals(325 * MIB, p.threshold());
        assertFalse(p.stillOver(50 * MIB, MIB));
    }

    @Test
    void aNegativeBudgetIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> new CollectPolicy(-1));
    }
}
