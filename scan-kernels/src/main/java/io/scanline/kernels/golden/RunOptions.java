package io.scanline.kernels.golden;

import io.scanline.kernels.backend.MlstmForm;
import io.scanline.kernels.backend.SsdForm;

/**
 * How a golden case is run.
 *
 * @param chunk      streaming chunk length in tokens (state carried between chunks); 0 = whole sequence
 * @param mlstmForm  form of the mLSTM cell
 * @param mlstmChunk inner chunk of the chunkwise mLSTM form
 * @param ssdForm    form of Mamba-2 SSD
 * @param ssdChunk   inner chunk of the chunked SSD form
 */
public record RunOptions(int chunk, MlstmForm mlstmForm, int mlstmChunk, SsdForm ssdForm, int ssdChunk) {
    public static RunOptions defaults() {
        return new RunOptions(0, MlstmForm.CHUNKWISE, 64, SsdForm.CHUNKED, 256);
    }

    public RunOptions withChunk(int c) {
        return new RunOptions(c, mlstmForm, mlstmChunk, ssdForm, ssdChunk);
    }

    public RunOptions withForms(MlstmForm mf, SsdForm sf) {
        return new RunOptions(chunk, mf, mlstmChunk, sf, ssdChunk);
    }
}
