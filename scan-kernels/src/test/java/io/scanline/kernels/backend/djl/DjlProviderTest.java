package io.scanline.kernels.backend.djl;

import io.scanline.kernels.backend.Backend;
import io.scanline.kernels.backend.BackendProvider;
import io.scanline.kernels.backend.Backends;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Discovery: djl is found by name here, and reports precisely why when its classes are absent. */
class DjlProviderTest {

    @Test
    void discoveredAndAvailable() {
        assertTrue(Backends.providers().containsKey("djl"), "djl provider must be registered next to reference");
        assertTrue(Backends.providers().containsKey("reference"));
        assertNull(new DjlProvider().unavailableReason());
        assertTrue(Backends.describe().contains("djl: available"), String.join("\n", Backends.describe()));
        try (Backend be = Backends.open("djl", Map.of("threads", "1"))) {
            assertEquals("djl", be.name());
        }
    }

    @Test
    void badOptionsFailFast() {
        assertThrows(IllegalArgumentException.class, () -> Backends.open("djl", Map.of("device", "gpu")));
        assertThrows(IllegalArgumentException.class, () -> Backends.open("djl", Map.of("threads", "0")));
        assertThrows(IllegalArgumentException.class, () -> Backends.open("djl", Map.of("threads", "many")));
    }

    @Test
    void closedBackendRefusesWork() {
        Backend be = Backends.open("djl");
        be.close();
        be.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> be.silu(io.scanline.kernels.tensor.Tensor.zeros(2)));
    }

    /**
     * Loads the provider through a class loader that sees only this module's classes (no DJL): the
     * provider must still load, report the missing class, and refuse to create a backend.
     */
    @Test
    void withoutDjlOnTheClasspathTheReasonNamesTheMissingClass() throws Exception {
        URL classes = Path.of(DjlProvider.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toUri().toURL();
        try (URLClassLoader isolated = new URLClassLoader(new URL[] {classes}, ClassLoader.getPlatformClassLoader())) {
            Class<?> p = Class.forName(DjlProvider.class.getName(), true, isolated);
            Object provider = p.getDeclaredConstructor().newInstance();
            String why = (String) p.getMethod("unavailableReason").invoke(provider);
            assertTrue(why != null && why.contains("ai.djl.engine.Engine") && why.contains("not on the classpath"), why);
            Class<?> iface = Class.forName(BackendProvider.class.getName(), false, isolated);
            assertTrue(iface.isAssignableFrom(p));
            Throwable t = assertThrows(java.lang.reflect.InvocationTargetException.class,
                    () -> p.getMethod("create", Map.class).invoke(provider, Map.of()));
            assertTrue(t.getCause() instanceof IllegalStateException && t.getCause().getMessage().contains("unavailable"));
        }
    }
}
