package io.scanline.connectors.image;

import io.scanline.connectors.ingest.IngestException;
import io.scanline.connectors.ingest.RejectReason;

import javax.imageio.IIOException;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs each decode of one source on its own daemon thread with a deadline, and turns whatever a
 * decoder throws into a typed rejection. After a timeout the source is poisoned: the decoder
 * thread cannot be killed, so it is interrupted and abandoned, and every later call fails fast.
 */
final class DecodeGuard implements AutoCloseable {
    interface Decode<T> {
        T run() throws Exception;
    }

    private final String source;
    private final Duration timeout;
    private final ExecutorService exec;
    private IngestException poisoned;

    DecodeGuard(String source, Duration timeout) {
        this.source = source;
        this.timeout = timeout;
        this.exec = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "scanline-decode");
            t.setDaemon(true);
            return t;
        });
    }

    /** A decode's result and how long the decoder thread took for it. */
    private record Timed<T>(T value, long nanos) {}

    /**
     * Runs d under the deadline. A decode that finished but took longer than the deadline on its own
     * thread is rejected too: the wait alone would let it through whenever this thread was descheduled
     * past the deadline (on a loaded 2-core machine a 1 ns deadline was once met that way).
     */
    <T> T run(String what, Decode<T> d) throws IngestException {
        if (poisoned != null) {
            throw poisoned;
        }
        Future<Timed<T>> f = exec.submit(() -> {
            long t0 = System.nanoTime();
            T v = d.run();
            return new Timed<>(v, System.nanoTime() - t0);
        });
        try {
            Timed<T> r = f.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            if (r.nanos() > timeout.toNanos()) {
                throw poison(what + " took " + r.nanos() / 1000 + " µs, longer than the " + timeout + " allowed");
            }
            return r.value();
        } catch (TimeoutException e) {
            f.cancel(true);
            throw poison(what + " took longer than the " + timeout + " allowed");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            f.cancel(true);
            throw new IngestException(RejectReason.DECODE_TIMEOUT, source, what + " interrupted");
        } catch (ExecutionException e) {
            throw classify(source, what, e.getCause());
        }
    }

    private IngestException poison(String message) {
        poisoned = new IngestException(RejectReason.DECODE_TIMEOUT, source, message);
        return poisoned;
    }

    /** Maps a decoder failure to a reason; decoders signal "unsupported" only in their messages. */
    static IngestException classify(String source, String what, Throwable t) {
        if (t instanceof IngestException ie) {
            return ie;
        }
        String msg = t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
        String lower = msg.toLowerCase(java.util.Locale.ROOT);
        if (t instanceof OutOfMemoryError) {
            return new IngestException(RejectReason.TILE_BYTES_LIMIT, source, what + ": decoder ran out of memory", t);
        }
        if (lower.contains("unsupported") || lower.contains("not supported")) {
            return new IngestException(RejectReason.UNSUPPORTED_FEATURE, source, what + ": " + msg, t);
        }
        if (t instanceof java.io.EOFException || lower.contains("eof") || lower.contains("end of file")) {
            return new IngestException(RejectReason.TRUNCATED, source, what + ": " + msg, t);
        }
        if (t instanceof IIOException || t instanceof java.io.IOException || t instanceof RuntimeException
                || t instanceof StackOverflowError) {
            return new IngestException(RejectReason.DECODE_FAILED, source, what + ": " + msg, t);
        }
        return new IngestException(RejectReason.DECODE_FAILED, source, what + ": " + msg, t);
    }

    @Override
    public void close() {
        exec.shutdownNow();
    }
}
