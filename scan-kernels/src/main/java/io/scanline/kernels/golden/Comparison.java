package io.scanline.kernels.golden;

import io.scanline.kernels.tensor.Tensor;

import java.util.Arrays;
import java.util.Locale;

/**
 * One output compared with its reference, with the metric of spec ops §2:
 * abs = max|y − r|, rel = abs / max|r| (rel = abs when max|r| = 0).
 */
public record Comparison(String name, double absErr, double relErr, double tol, boolean pass, String note) {

    public static Comparison relative(String name, Tensor out, Tensor ref, double tol) {
        if (!Arrays.equals(out.shape(), ref.shape())) {
            return new Comparison(name, Double.NaN, Double.NaN, tol, false,
                    "shape " + Arrays.toString(out.shape()) + " vs reference " + Arrays.toString(ref.shape()));
        }
        double abs = 0.0, maxRef = 0.0;
        boolean finite = true;
        double[] ys = out.toF64().f64(), rs = ref.toF64().f64(); // one host read each, not one per element
        for (int i = 0; i < rs.length; i++) {
            double y = ys[i], r = rs[i];
            if (Double.isNaN(y) || Double.isInfinite(y) != Double.isInfinite(r)) finite = false;
            if (Double.isInfinite(r) && y == r) continue;
            abs = Math.max(abs, Math.abs(y - r));
            if (!Double.isInfinite(r)) maxRef = Math.max(maxRef, Math.abs(r));
        }
        double rel = maxRef == 0.0 ? abs : abs / maxRef;
        return new Comparison(name, abs, rel, tol, finite && rel <= tol, finite ? "" : "non-finite values");
    }

    /**
     * The mLSTM stabilizer m: absolute error ≤ tol·max(1, |m|) per element; −∞ must match exactly
     * (spec ops §2). rel reports the worst ratio err / max(1, |m|).
     */
    public static Comparison stabilizer(String name, Tensor out, Tensor ref, double tol) {
        double abs = 0.0, worst = 0.0;
        boolean ok = Arrays.equals(out.shape(), ref.shape());
        double[] ys = ok ? out.toF64().f64() : null, rs = ok ? ref.toF64().f64() : null;
        for (int i = 0; ok && i < rs.length; i++) {
            double y = ys[i], r = rs[i];
            if (Double.isInfinite(r) || Double.isInfinite(y)) {
                if (y != r) ok = false;
                continue;
            }
            double e = Math.abs(y - r);
            abs = Math.max(abs, e);
            worst = Math.max(worst, e / Math.max(1.0, Math.abs(r)));
        }
        return new Comparison(name, abs, worst, tol, ok && worst <= tol, ok ? "abs tol·max(1,|m|)" : "shape or infinity mismatch");
    }

    public String format() {
        return String.format(Locale.ROOT, "%-40s abs %.3e  rel %.3e  tol %.0e  %s%s", name, absErr, relErr, tol,
                pass ? "PASS" : "FAIL", note.isEmpty() ? "" : "  (" + note + ")");
    }
}
