package io.scanline.kernels.heads;

/**
 * An axis-aligned box in level-0 pixel coordinates, (0, 0) = upper-left corner of the first pixel,
 * x1/y1 exclusive edges. {@code token} is the global index of the patch token that proposed it (ties in
 * NMS are broken by it, so results never depend on arrival order).
 */
public record Box(double x0, double y0, double x1, double y1, double score, int classId, long token) {

    public Box {
        if (!(x1 >= x0) || !(y1 >= y0)) throw new IllegalArgumentException("box with negative extent: " + x0 + "," + y0 + "," + x1 + "," + y1);
    }

    public double width() { return x1 - x0; }

    public double height() { return y1 - y0; }

    public double area() { return (x1 - x0) * (y1 - y0); }

    public double iou(Box o) {
        double iw = Math.max(0, Math.min(x1, o.x1) - Math.max(x0, o.x0));
        double ih = Math.max(0, Math.min(y1, o.y1) - Math.max(y0, o.y0));
        double inter = iw * ih;
        double union = area() + o.area() - inter;
        return union > 0 ? inter / union : 0;
    }

    /** Boxes touch or overlap (closed intervals): the relation whose components NMS can decide separately. */
    public boolean touches(Box o) {
        return x0 <= o.x1 && o.x0 <= x1 && y0 <= o.y1 && o.y0 <= y1;
    }

    public Box shifted(double dx, double dy) {
        return new Box(x0 + dx, y0 + dy, x1 + dx, y1 + dy, score, classId, token);
    }

    public Box withToken(long t) {
        return new Box(x0, y0, x1, y1, score, classId, t);
    }
}
