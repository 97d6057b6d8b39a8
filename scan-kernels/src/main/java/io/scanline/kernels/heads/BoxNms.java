package io.scanline.kernels.heads;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Greedy non-maximum suppression, class-aware: boxes sorted by score (descending), ties by proposing token
 * then coordinates, so the result is a function of the set of boxes, never of their arrival order. A box
 * is dropped when its IoU with an already kept box of the same class exceeds the threshold.
 */
public final class BoxNms {
    public static final Comparator<Box> ORDER = Comparator.comparingDouble(Box::score).reversed()
            .thenComparingLong(Box::token).thenComparingDouble(Box::x0).thenComparingDouble(Box::y0)
            .thenComparingDouble(Box::x1).thenComparingDouble(Box::y1);

    private BoxNms() {}

    public static List<Box> apply(List<Box> boxes, double iou) {
        List<Box> sorted = new ArrayList<>(boxes);
        sorted.sort(ORDER);
        List<Box> keep = new ArrayList<>();
        for (Box b : sorted) {
            boolean ok = true;
            for (Box k : keep) {
                if (k.classId() == b.classId() && k.iou(b) > iou) {
                    ok = false;
                    break;
                }
            }
            if (ok) keep.add(b);
        }
        return keep;
    }
}
