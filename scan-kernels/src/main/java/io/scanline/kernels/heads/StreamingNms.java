package io.scanline.kernels.heads;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;

/**
 * NMS over a stream of boxes (chunks of tokens, or windows in raster order) that emits each box as soon
 * as its fate is final, with exactly the result of {@link BoxNms} over all boxes at once.
 *
 * <p>Why it is exact: suppression needs IoU > threshold >= 0, hence a positive intersection, so greedy NMS
 * decides each connected component of the "boxes touch" graph on its own. A component is final once none
 * of its boxes can touch a future box: the caller promises (via {@link #advance}) that every later box has
 * its top edge at or below {@code minFutureTop}, so a component whose lowest bottom edge lies above that
 * line is complete. A box cut by a chunk or window border is therefore reported once.
 *
 * <p>Glossary: P pending boxes (those not yet final).
 */
public final class StreamingNms {
    private final double iou;
    private final Consumer<Box> out;
    private List<Box> pending = new ArrayList<>();
    private double frontier = Double.NEGATIVE_INFINITY;
    private long emitted;

    public StreamingNms(double iou, Consumer<Box> out) {
        if (!(iou >= 0 && iou < 1)) throw new IllegalArgumentException("nms iou must be in [0, 1), got " + iou);
        this.iou = iou;
        this.out = out;
    }

    public void add(List<Box> boxes) {
        for (Box b : boxes) {
            if (b.y0() < frontier) {
                throw new IllegalStateException("box top " + b.y0() + " above the promised frontier " + frontier
                        + ": the caller's bound on future boxes was wrong");
            }
            pending.add(b);
        }
    }

    /** Every box added from now on has y0 >= minFutureTop; emits the components that became final. */
    public void advance(double minFutureTop) {
        if (minFutureTop < frontier) throw new IllegalArgumentException("frontier moves only downwards");
        frontier = minFutureTop;
        flush(false);
    }

    /** No more boxes: emits everything pending. */
    public void finish() {
        flush(true);
    }

    public long emitted() { return emitted; }

    public int pending() { return pending.size(); }

    private void flush(boolean all) {
        if (pending.isEmpty()) return;
        int p = pending.size();
        Box[] byX = pending.toArray(new Box[0]);
        java.util.Arrays.sort(byX, Comparator.comparingDouble(Box::x0).thenComparing(BoxNms.ORDER));
        int[] parent = new int[p];
        for (int i = 0; i < p; i++) parent[i] = i;
        for (int i = 0; i < p; i++) {
            // a box j > i (x0 ascending) can touch box i only while x0_j <= x1_i
            for (int j = i + 1; j < p && byX[j].x0() <= byX[i].x1(); j++) {
                if (byX[i].touches(byX[j])) union(parent, i, j);
            }
        }
        List<List<Box>> comps = new ArrayList<>();
        int[] compOf = new int[p];
        java.util.Arrays.fill(compOf, -1);
        double[] bottom = new double[p];
        for (int i = 0; i < p; i++) {
            int r = find(parent, i);
            if (compOf[r] < 0) {
                compOf[r] = comps.size();
                comps.add(new ArrayList<>());
                bottom[compOf[r]] = Double.NEGATIVE_INFINITY;
            }
            comps.get(compOf[r]).add(byX[i]);
            bottom[compOf[r]] = Math.max(bottom[compOf[r]], byX[i].y1());
        }
        List<Box> keep = new ArrayList<>(), rest = new ArrayList<>();
        for (int c = 0; c < comps.size(); c++) {
            if (all || bottom[c] < frontier) keep.addAll(BoxNms.apply(comps.get(c), iou));
            else rest.addAll(comps.get(c));
        }
        // emission order is a function of the boxes alone (score order within the flush)
        keep.sort(BoxNms.ORDER);
        for (Box b : keep) {
            out.accept(b);
            emitted++;
        }
        pending = rest;
    }

    private static int find(int[] parent, int i) {
        while (parent[i] != i) {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        return i;
    }

    private static void union(int[] parent, int a, int b) {
        int ra = find(parent, a), rb = find(parent, b);
        if (ra != rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
    }
}
