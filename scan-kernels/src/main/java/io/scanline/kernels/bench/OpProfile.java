package io.scanline.kernels.bench;

import io.scanline.kernels.backend.Backend;

import java.io.PrintStream;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where a model run spends its time: wraps a backend so that every op call is counted and timed
 * (wall clock, after an optional device synchronization so that asynchronous GPU work is charged to
 * the op that queued it). Whatever the run spends outside the backend (model code, slicing, copies
 * the model itself makes) is the remainder against the run's wall time.
 *
 * <p>The synchronization changes what it measures (no overlap of host and device work), so profile
 * runs are for attribution, not for the throughput figure.
 */
public final class OpProfile {
    private final Map<String, long[]> byOp = new LinkedHashMap<>();   // op -> {calls, nanos}
    private final Runnable sync;

    private OpProfile(Runnable sync) { this.sync = sync; }

    /**
     * @param sync run after each op before the clock stops (e.g. a device synchronize); null for
     *             backends whose ops return when their work is done
     */
    public static OpProfile create(Runnable sync) { return new OpProfile(sync); }

    /** A backend that forwards every call to {@code inner} and records it here. */
    public Backend wrap(Backend inner) {
        InvocationHandler h = (proxy, m, args) -> {
            boolean timed = isOp(m);
            long t0 = timed ? System.nanoTime() : 0;
            try {
                Object r = m.invoke(inner, args);
                if (timed && sync != null) sync.run();
                return r;
            } catch (InvocationTargetException e) {
                throw e.getCause();
            } finally {
                if (timed) {
                    long[] c = byOp.computeIfAbsent(m.getName(), k -> new long[2]);
                    c[0]++;
                    c[1] += System.nanoTime() - t0;
                }
            }
        };
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class}, h);
    }

    private static boolean isOp(Method m) {
        String n = m.getName();
        return !(n.equals("name") || n.equals("close") || m.getDeclaringClass() == Object.class);
    }

    /** Clears the counters (e.g. after a warm-up run). */
    public void reset() { byOp.clear(); }

    /** Total nanoseconds inside backend calls. */
    public long opNanos() {
        long s = 0;
        for (long[] c : byOp.values()) s += c[1];
        return s;
    }

    /** Per-op lines sorted by time, then the remainder outside the backend against {@code wallNanos}. */
    public void print(PrintStream out, long wallNanos) {
        List<Map.Entry<String, long[]>> rows = new ArrayList<>(byOp.entrySet());
        rows.sort((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1]));
        out.printf(Locale.ROOT, "  %-22s %9s %11s %7s%n", "op", "calls", "ms", "% wall");
        for (Map.Entry<String, long[]> r : rows) {
            out.printf(Locale.ROOT, "  %-22s %9d %11.1f %6.1f%%%n", r.getKey(), r.getValue()[0], r.getValue()[1] / 1e6,
                    100.0 * r.getValue()[1] / wallNanos);
        }
        long outside = wallNanos - opNanos();
        out.printf(Locale.ROOT, "  %-22s %9s %11.1f %6.1f%%%n", "(outside the backend)", "", outside / 1e6, 100.0 * outside / wallNanos);
    }
}
