package io.scanline.connectors.image;

/** What an image inside a file is: a resolution level of the pyramid, or an associated image. */
public enum LevelKind {
    /** A resolution level (level 0 = full resolution). */
    LEVEL,
    /** SVS thumbnail (second IFD, striped). */
    THUMBNAIL,
    /** Slide label photo. */
    LABEL,
    /** Whole-slide macro photo. */
    MACRO,
    /** Another page of a multi-page file that is not a reduced copy of page 0. */
    PAGE
}
