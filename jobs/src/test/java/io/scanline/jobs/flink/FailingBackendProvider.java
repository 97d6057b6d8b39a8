package io.scanline.jobs.flink;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.BackendProvider;
import io.scanline.kernels.backend.reference.ReferenceBackend;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test backend {@code failing-once}: the reference backend, slowed to {@link #DELAY_MS} per patch
 * embedding (one per chunk) so that checkpoints fall between the chunks of an image, and failing once,
 * JVM-wide, at the {@link #FAIL_AT}-th patch embedding: a task failure in the middle of an image.
 */
public final class FailingBackendProvider implements BackendProvider {
    static final int FAIL_AT = 12, DELAY_MS = 120;
    static final AtomicInteger CALLS = new AtomicInteger();
    static final AtomicBoolean FAILED = new AtomicBoolean();

    @Override public String name() { return "failing-once"; }

    @Override public String unavailableReason() { return null; }

    @Override
    public Backend create(Map<String, String> options) {
        Backend ref = new ReferenceBackend();
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class}, (p, m, args) -> {
            if (m.getName().equals("patchEmbed")) {
                Thread.sleep(DELAY_MS);
                if (CALLS.incrementAndGet() == FAIL_AT && FAILED.compareAndSet(false, true)) {
                    throw new IllegalStateException("injected failure at patch embedding " + FAIL_AT);
                }
            }
            if (m.getName().equals("name")) return "failing-once";
            try {
                return m.invoke(ref, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
    }
}
