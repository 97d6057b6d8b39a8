package io.scanline.kernels.backend.djl;

/**
 * Loads the DJL PyTorch engine at most once per JVM, strictly offline, and remembers why it failed.
 *
 * <p>DJL reads {@code DJL_OFFLINE} / {@code OPT_OUT_TRACKING} from the environment and falls back to
 * system properties of the same names, so setting the properties here keeps a JVM started without
 * the environment variables offline too. An environment that explicitly turns offline mode off is
 * refused: without it DJL would try to download natives and contact a metadata service.
 */
final class DjlRuntime {
    private DjlRuntime() {}

    static final String ENGINE = "PyTorch";
    private static final String[] REQUIRED = {
            "ai.djl.engine.Engine", "ai.djl.pytorch.engine.PtEngine", "ai.djl.pytorch.jni.JniUtils"};

    private static volatile String problem;
    private static volatile boolean probed;

    /** @return null if the DJL classes are on the classpath, otherwise which one is missing. */
    static String missingClasses() {
        for (String c : REQUIRED) {
            try {
                Class.forName(c, false, DjlRuntime.class.getClassLoader());
            } catch (ClassNotFoundException | LinkageError e) {
                return "DJL class " + c + " is not on the classpath (add ai.djl:api, ai.djl.pytorch:pytorch-engine,"
                        + " pytorch-jni and pytorch-native-cpu)";
            }
        }
        return null;
    }

    /** @return null when the engine started, otherwise the reason (probed once, then cached). */
    static synchronized String engineProblem() {
        if (!probed) {
            problem = probe();
            probed = true;
        }
        return problem;
    }

    private static String probe() {
        String env = System.getenv("DJL_OFFLINE");
        if (env != null && !Boolean.parseBoolean(env)) {
            return "DJL_OFFLINE is set to '" + env + "'; this backend runs only offline (DJL_OFFLINE=true)";
        }
        System.setProperty("DJL_OFFLINE", "true");
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("OPT_OUT_TRACKING", "true");
        try {
            ai.djl.engine.Engine e = ai.djl.engine.Engine.getEngine(ENGINE);
            if (e == null) return "DJL found no " + ENGINE + " engine";
            // A first op proves that the natives really load (getEngine alone may defer it).
            try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager(ai.djl.Device.cpu(), ENGINE)) {
                float v = m.create(new float[] {1f, 2f}).sum().getFloat();
                if (v != 3f) return "libtorch smoke test returned " + v + " for 1+2";
            }
            return null;
        } catch (Throwable t) { // UnsatisfiedLinkError, EngineException, IllegalArgumentException, ...
            StringBuilder sb = new StringBuilder("the PyTorch engine failed to start: ");
            for (Throwable c = t; c != null; c = c.getCause()) {
                if (c != t) sb.append(" <- ");
                sb.append(c.getClass().getSimpleName()).append(": ").append(c.getMessage());
            }
            return sb.toString();
        }
    }
}
