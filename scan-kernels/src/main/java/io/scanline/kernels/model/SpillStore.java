package io.scanline.kernels.model;

import io.scanline.kernels.tensor.Tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A barrier's materialized residual stream, (B, L, D) F32, addressed by token rows. Tokens
 * [0, memTokens) live in memory, the rest in a local file, so the memory part never exceeds the
 * configured budget whatever the image size. Passes read it back in any order they need.
 *
 * <p>Glossary: B images, L tokens, D width (floats per token row).
 */
public final class SpillStore implements TokenStore {
    private final int batch, tokens, width;
    private final int memTokens;
    private final float[] memory;          // (B, memTokens, D)
    private final Path file;               // (B, L - memTokens, D) little-endian F32, or null
    private final FileChannel channel;
    private final MemoryLedger ledger;

    public SpillStore(int batch, int tokens, int width, long memoryBudgetBytes, Path spillDir, MemoryLedger ledger) {
        this.batch = batch;
        this.tokens = tokens;
        this.width = width;
        this.ledger = ledger;
        long rowBytes = 4L * width * batch;
        this.memTokens = (int) Math.min(tokens, Math.max(0, memoryBudgetBytes / Math.max(1, rowBytes)));
        this.memory = new float[Math.multiplyExact(Math.multiplyExact(batch, memTokens), width)];
        try {
            if (memTokens < tokens) {
                Files.createDirectories(spillDir);
                this.file = Files.createTempFile(spillDir, "scanline-spill-", ".f32");
                this.channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE,
                        StandardOpenOption.DELETE_ON_CLOSE);
            } else {
                this.file = null;
                this.channel = null;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create spill file in " + spillDir, e);
        }
        ledger.addStore(memoryBytes(), diskBytes());
    }

    public long memoryBytes() { return 4L * memory.length; }

    public long diskBytes() { return 4L * batch * (long) (tokens - memTokens) * width; }

    public boolean spills() { return channel != null; }

    @Override
    public int tokens() { return tokens; }

    /** Writes rows (B, n, D) at tokens [t0, t0 + n). */
    @Override
    public void write(int t0, Tensor rows) {
        int n = rows.dim(1);
        check(t0, n, rows.dim(0), rows.dim(2));
        copy(t0, n, rows.f32(), true);
    }

    /** Reads tokens [t0, t0 + n) as (B, n, D). */
    @Override
    public Tensor read(int t0, int n) {
        check(t0, n, batch, width);
        float[] out = new float[batch * n * width];
        copy(t0, n, out, false);
        return Tensor.of(out, batch, n, width);
    }

    /**
     * Moves tokens [t0, t0 + n) between arr (B, n, D) and the store. Per batch element the range splits
     * into one contiguous memory part and one contiguous disk part, so each costs one copy / one I/O.
     */
    private void copy(int t0, int n, float[] arr, boolean write) {
        int memEnd = Math.min(t0 + n, memTokens), inMem = Math.max(0, memEnd - t0);
        for (int b = 0; b < batch; b++) {
            int off = b * n * width;
            if (inMem > 0) {
                int mo = (b * memTokens + t0) * width;
                if (write) System.arraycopy(arr, off, memory, mo, inMem * width);
                else System.arraycopy(memory, mo, arr, off, inMem * width);
            }
            if (inMem < n) diskIo(b, t0 + inMem, n - inMem, arr, off + inMem * width, write);
        }
    }

    private void diskIo(int b, int t, int count, float[] arr, int off, boolean write) {
        long pos = 4L * ((long) b * (tokens - memTokens) + (t - memTokens)) * width;
        ByteBuffer buf = ByteBuffer.allocate(4 * count * width).order(ByteOrder.LITTLE_ENDIAN);
        try {
            if (write) {
                buf.asFloatBuffer().put(arr, off, count * width);
                while (buf.hasRemaining()) pos += channel.write(buf, pos);
            } else {
                while (buf.hasRemaining()) {
                    int r = channel.read(buf, pos);
                    if (r < 0) throw new IOException("spill file shorter than expected (read before write?)");
                    pos += r;
                }
                buf.flip();
                buf.asFloatBuffer().get(arr, off, count * width);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("spill file " + file, e);
        }
    }

    private void check(int t0, int n, int b, int d) {
        if (t0 < 0 || n < 0 || t0 + n > tokens || b != batch || d != width) {
            throw new IllegalArgumentException("spill store (" + batch + ", " + tokens + ", " + width + ") access at ["
                    + t0 + ", " + (t0 + n) + ") with rows (" + b + ", n, " + d + ")");
        }
    }

    @Override
    public void close() {
        ledger.releaseStore(memoryBytes(), diskBytes());
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
