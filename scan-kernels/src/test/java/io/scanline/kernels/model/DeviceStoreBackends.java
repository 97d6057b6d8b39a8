package io.scanline.kernels.model;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.reference.ReferenceBackend;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A reference backend that grants barrier stores "device" room up to a budget, the way a device
 * backend does: models then run with {@link ResidentStore}s, on the host, so their logic is tested
 * without a GPU. {@link #reserved} counts what is granted and not yet given back.
 */
final class DeviceStoreBackends {
    final AtomicLong reserved = new AtomicLong();
    final AtomicLong grants = new AtomicLong();

    Backend granting(long budget) {
        ReferenceBackend inner = new ReferenceBackend();
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class}, (p, m, args) -> {
            switch (m.getName()) {
                case "reserveDeviceStore": {
                    long bytes = (Long) args[0];
                    if (reserved.get() + bytes > budget) return false;
                    reserved.addAndGet(bytes);
                    grants.incrementAndGet();
                    return true;
                }
                case "releaseDeviceStore":
                    reserved.addAndGet(-(Long) args[0]);
                    return null;
                default:
                    try {
                        return m.invoke(inner, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
            }
        });
    }
}
