package io.scanline.kernels.backend.cuda;

/**
 * When resident GPU outputs ask the Java collector for room. The collector cannot see device memory, so
 * {@link ResidentTensors} requests a collection when its live bytes would pass a budget; each request
 * pauses the calling thread (up to 200 ms while reference processing catches up). Where one step of a
 * pass legitimately holds more than the budget (a large batch of images at base dims: 16 images of a
 * 4096-token chunk at D 768 hold several GB of live activations), every allocation past the budget asked
 * again and found nothing: 288 requests and 15 s for one De-focus-B forward that otherwise takes 0.3 s.
 *
 * <p>So the threshold adapts: after a collection that did not bring live bytes plus the request under the
 * budget, what is live is taken as the working set, and the next request waits until live bytes grow
 * another quarter of the budget past it. The threshold never falls below the budget and does not decay:
 * at most a quarter of the budget of garbage then sits beyond the largest working set seen. Plain Java,
 * so the policy is tested without a GPU.
 */
final class CollectPolicy {
    private final long budget;
    private long threshold;      // live + need above this asks for a collection

    CollectPolicy(long budgetBytes) {
        if (budgetBytes < 0) throw new IllegalArgumentException("resident budget " + budgetBytes);
        this.budget = budgetBytes;
        this.threshold = budgetBytes;
    }

    /** Whether {@code need} more bytes on top of {@code live} should first ask for a collection. */
    boolean shouldCollect(long live, long need) {
        return live + need > threshold;
    }

    /** Whether the collection found enough: drain until this is false. */
    boolean stillOver(long live, long need) {
        return live + need > budget;
    }

    /** After a collection and its drain: live bytes still over the budget are the working set. */
    void collected(long live, long need) {
        if (live + need > budget) threshold = Math.max(threshold, live + need + Math.max(1, budget / 4));
    }

    long threshold() { return threshold; }
}
