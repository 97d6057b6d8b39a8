package io.scanline.kernels.heads;

/**
 * Receives final rows of the sub-cell logit grid in ascending order. Glossary: Wc = Wp * s cells per row,
 * C classes; one row is {@code C * Wc} floats laid out (class, cell column).
 */
public interface CellRowSink {
    /** rows {@code [firstRow, firstRow + count)}, {@code count * C * Wc} floats. */
    void acceptRows(int firstRow, float[] rows, int count);

    /** No more rows. */
    void finish();
}
