package io.scanline.connectors.patch;

/**
 * What happens to pixels right of / below the last whole patch.
 *
 * <ul>
 *   <li>{@code CROP}: they are dropped; grid = floor((H - patch) / stride) + 1, like the official
 *       {@code PatchEmbed} convolution (default for {@link TokenOrder#RASTER}).</li>
 *   <li>{@code PAD}: the <em>normalized</em> image is extended with zeros so every pixel is in a patch;
 *       grid = ceil((H - patch) / stride) + 1 (at least 1).</li>
 * </ul>
 * {@link TokenOrder#TILE} always pads, to whole tiles, as spec D5 prescribes.
 */
public enum Padding {
    CROP,
    PAD
}
