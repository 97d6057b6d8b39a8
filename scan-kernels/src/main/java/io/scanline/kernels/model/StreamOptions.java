package io.scanline.kernels.model;

import io.scanline.kernels.backend.MlstmForm;
import io.scanline.kernels.backend.SsdForm;

import java.nio.file.Path;

/**
 * How a model is streamed over one batch of images.
 *
 * @param chunk             tokens per chunk inside every pass (0 = the whole sequence in one chunk)
 * @param spillMemoryBytes  barrier store bytes kept in memory before spilling to local disk files
 * @param maxImageBytes     per-image limit of barrier store + carried state; exceeding it is a clear error
 * @param spillDir          where spill files go (deleted when the run ends)
 * @param keepLayerOutputs  also return the residual stream after every block (debugging, goldens)
 * @param mlstmForm         form of the mLSTM cell
 * @param ssdForm           form of Mamba-2 SSD
 * @param tokenSink         when set, per-token outputs ({@code output.features} and families' per-token
 *                          logits) are handed to it chunk by chunk and NOT accumulated into the
 *                          (B, L, ·) tensors of {@link ModelOutput}: memory stays independent of the image
 */
public record StreamOptions(int chunk, long spillMemoryBytes, long maxImageBytes, Path spillDir,
                            boolean keepLayerOutputs, MlstmForm mlstmForm, SsdForm ssdForm, TokenSink tokenSink) {

    /** Without a token sink: per-token outputs are accumulated in the {@link ModelOutput}. */
    public StreamOptions(int chunk, long spillMemoryBytes, long maxImageBytes, Path spillDir,
                         boolean keepLayerOutputs, MlstmForm mlstmForm, SsdForm ssdForm) {
        this(chunk, spillMemoryBytes, maxImageBytes, spillDir, keepLayerOutputs, mlstmForm, ssdForm, null);
    }

    public static final long DEFAULT_SPILL_MEMORY = 512L << 20;
    public static final long DEFAULT_MAX_IMAGE = 64L << 30;

    public static StreamOptions defaults() {
        return new StreamOptions(256, DEFAULT_SPILL_MEMORY, DEFAULT_MAX_IMAGE,
                Path.of(System.getProperty("java.io.tmpdir")), false, MlstmForm.CHUNKWISE, SsdForm.CHUNKED);
    }

    public StreamOptions withChunk(int c) {
        return new StreamOptions(c, spillMemoryBytes, maxImageBytes, spillDir, keepLayerOutputs, mlstmForm, ssdForm, tokenSink);
    }

    public StreamOptions withSpill(long memoryBytes, Path dir) {
        return new StreamOptions(chunk, memoryBytes, maxImageBytes, dir, keepLayerOutputs, mlstmForm, ssdForm, tokenSink);
    }

    public StreamOptions withMaxImageBytes(long bytes) {
        return new StreamOptions(chunk, spillMemoryBytes, bytes, spillDir, keepLayerOutputs, mlstmForm, ssdForm, tokenSink);
    }

    public StreamOptions withLayerOutputs(boolean keep) {
        return new StreamOptions(chunk, spillMemoryBytes, maxImageBytes, spillDir, keep, mlstmForm, ssdForm, tokenSink);
    }

    public StreamOptions withForms(MlstmForm mf, SsdForm sf) {
        return new StreamOptions(chunk, spillMemoryBytes, maxImageBytes, spillDir, keepLayerOutputs, mf, sf, tokenSink);
    }

    public StreamOptions withTokenSink(TokenSink sink) {
        return new StreamOptions(chunk, spillMemoryBytes, maxImageBytes, spillDir, keepLayerOutputs, mlstmForm, ssdForm, sink);
    }
}
