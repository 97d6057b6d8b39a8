package io.scanline.kernels.model;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.OpScope;
import io.scanline.kernels.backend.reference.ReferenceBackend;
import io.scanline.kernels.tensor.DType;
import io.scanline.kernels.tensor.DeferredF32;
import io.scanline.kernels.tensor.Tensor;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A reference backend that behaves like a device backend as far as the model code can tell: every
 * F32 op output is deferred data that the next op reads where it is, and a host read of it (model
 * code calling {@code f32()}) is counted, the way a GPU backend would download it. Barrier stores are
 * granted "device" room, as cuda grants them. Model code that stays on the device per layer makes the
 * same number of host reads at any depth. Op scopes and releases free like a device backend's: an output
 * made in a scope and not kept, or released, fails when read or used afterwards.
 */
final class HostReadsBackend {
    final AtomicLong hostReads = new AtomicLong();
    final AtomicLong hostFloats = new AtomicLong();
    /** Where the reads came from: the first model-code frame of each, with its count. */
    final Map<String, Integer> readSites = new TreeMap<>();

    final List<Counted> all = new ArrayList<>();

    /** Outputs neither freed (scope, release) nor read on the host: a device backend leaves them to the collector. */
    Map<String, Long> leftToCollector() {
        Map<String, Long> out = new TreeMap<>();
        for (Counted c : all) if (!c.freed && !c.materialized()) out.merge(c.madeAt, (long) c.real.numel(), Long::sum);
        return out;
    }

    // open op scopes, innermost first: the outputs each made and has not given up (as cuda's ResidentTensors)
    private final Deque<List<Counted>> scopes = new ArrayDeque<>();

    /** Op output whose host read is counted; the op side reads {@link #real} without counting. */
    private final class Counted extends DeferredF32 {
        final Tensor real;
        boolean freed;

        final String madeAt = site();

        Counted(Tensor real) {
            super(real.numel());
            this.real = real;
            if (!scopes.isEmpty()) scopes.peek().add(this);
            all.add(this);
        }

        @Override
        protected float[] produce() {
            if (freed) throw new IllegalStateException("host read of an output freed by the op scope that made it");
            hostReads.incrementAndGet();
            readSites.merge(site(), 1, Integer::sum);
            hostFloats.addAndGet(real.numel());
            return real.f32().clone();
        }
    }

    private static String site() {
        for (StackTraceElement e : new Throwable().getStackTrace()) {
            String c = e.getClassName();
            if (c.startsWith("io.scanline.kernels.model.") && !c.startsWith(HostReadsBackend.class.getName()) && !c.equals(MeteredBackend.class.getName())) {
                return c.substring(c.lastIndexOf('.') + 1) + ":" + e.getLineNumber();
            }
        }
        return "outside the model code";
    }

    Backend backend() {
        ReferenceBackend inner = new ReferenceBackend();
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class}, (p, m, args) -> {
            switch (m.getName()) {
                case "reserveDeviceStore": return true;
                case "releaseDeviceStore": return null;
                case "opScope": return scope();
                case "release":
                    for (Tensor t : (Tensor[]) args[0]) {
                        if (t != null && t.deferred() instanceof Counted c && !c.freed) {
                            for (List<Counted> made : scopes) made.remove(c);
                            c.freed = true;
                        }
                    }
                    return null;
                default:
                    Object[] in = args == null ? null : args.clone();
                    if (in != null) for (int i = 0; i < in.length; i++) in[i] = unwrap(in[i]);
                    try {
                        Object out = m.invoke(inner, in);
                        return out instanceof Tensor t && t.dtype() == DType.F32 ? Tensor.deferred(new Counted(t), t.shape()) : out;
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
            }
        });
    }

    /** Frees (marks) the outputs made inside when it closes, except those kept, as a device backend does. */
    private OpScope scope() {
        List<Counted> made = new ArrayList<>();
        scopes.push(made);
        return new OpScope() {
            @Override
            public Tensor keep(Tensor t) {
                if (t.deferred() instanceof Counted c && made.remove(c) && scopes.size() > 1) {
                    Iterator<List<Counted>> it = scopes.iterator();
                    it.next();
                    it.next().add(c);
                }
                return t;
            }

            @Override
            public void close() {
                if (scopes.peek() != made) throw new IllegalStateException("op scopes closed out of order");
                scopes.pop();
                for (Counted c : made) c.freed = true;
            }
        };
    }

    private Object unwrap(Object o) {
        if (o instanceof Tensor t) {
            if (!(t.deferred() instanceof Counted c)) return t;
            if (c.freed) throw new IllegalStateException("op input is an output freed by the op scope that made it");
            return c.real.reshape(t.shape());
        }
        if (o instanceof List<?> list && !list.isEmpty() && list.get(0) instanceof Tensor) {
            List<Object> out = new ArrayList<>(list.size());
            for (Object e : list) out.add(unwrap(e));
            return out;
        }
        return o;
    }
}
