package io.scanline.connectors.tiff;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes small classic TIFFs byte by byte, so tests can craft exactly the malformation they need.
 * One or more IFDs of 8-bit gray strips; each IFD's entries are (tag, type, count, value-or-offset).
 */
final class TinyTiff {
    record Entry(int tag, int type, long count, long value) {
    }

    final ByteOrder order;
    final List<List<Entry>> ifds = new ArrayList<>();
    /** next-IFD pointer override per IFD (null = chain normally, last = 0). */
    final List<Long> nextOverride = new ArrayList<>();

    TinyTiff(ByteOrder order) {
        this.order = order;
    }

    /** A valid w x h 8-bit gray, one-strip IFD whose pixels live at {@code dataOffset}. */
    static List<Entry> grayIfd(int w, int h, long dataOffset) {
        List<Entry> e = new ArrayList<>();
        e.add(new Entry(256, 3, 1, w));
        e.add(new Entry(257, 3, 1, h));
        e.add(new Entry(258, 3, 1, 8));
        e.add(new Entry(259, 3, 1, 1));
        e.add(new Entry(262, 3, 1, 1));
        e.add(new Entry(273, 4, 1, dataOffset));
        e.add(new Entry(277, 3, 1, 1));
        e.add(new Entry(278, 3, 1, h));
        e.add(new Entry(279, 4, 1, (long) w * h));
        return e;
    }

    TinyTiff add(List<Entry> entries, Long next) {
        ifds.add(entries);
        nextOverride.add(next);
        return this;
    }

    /** Layout: header (8) | pixel area of {@code pixelBytes} | IFDs. Returns the file bytes. */
    byte[] build(int pixelBytes) {
        int size = 8 + pixelBytes;
        List<Integer> at = new ArrayList<>();
        for (List<Entry> e : ifds) {
            at.add(size);
            size += 2 + 12 * e.size() + 4;
        }
        ByteBuffer b = ByteBuffer.allocate(size).order(order);
        b.put(order == ByteOrder.LITTLE_ENDIAN ? new byte[]{'I', 'I'} : new byte[]{'M', 'M'});
        b.putShort((short) 42);
        b.putInt(ifds.isEmpty() ? 0 : at.get(0));
        for (int i = 8; i < 8 + pixelBytes; i++) {
            b.put((byte) (i * 7));
        }
        for (int i = 0; i < ifds.size(); i++) {
            List<Entry> e = ifds.get(i);
            b.position(at.get(i));
            b.putShort((short) e.size());
            for (Entry en : e) {
                b.putShort((short) en.tag());
                b.putShort((short) en.type());
                b.putInt((int) en.count());
                if (en.type() == 3 && en.count() == 1) {
                    b.putShort((short) en.value()).putShort((short) 0);
                } else {
                    b.putInt((int) en.value());
                }
            }
            Long next = nextOverride.get(i);
            b.putInt((int) (next != null ? next : i + 1 < ifds.size() ? at.get(i + 1) : 0));
        }
        return b.array();
    }

    /** Offset of IFD i in the layout of {@link #build}. */
    int ifdOffset(int i, int pixelBytes) {
        int off = 8 + pixelBytes;
        for (int k = 0; k < i; k++) {
            off += 2 + 12 * ifds.get(k).size() + 4;
        }
        return off;
    }
}
