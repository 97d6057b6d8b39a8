package io.scanline.connectors.protocol;

import io.scanline.connectors.ingest.IngestException;
import io.scanline.connectors.ingest.RejectReason;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * Consumer side of inline streaming: rebuilds each image's file in a spool directory from its header,
 * tile and end records, byte-exact, and checks size and SHA-256.
 *
 * <p>Kafka keeps one key's records in order, but producers that retry, or a replay after a restart,
 * can duplicate or reorder them; so tiles (and the end record) that arrive early wait in a bounded
 * buffer, an exact duplicate is ignored, and a conflicting duplicate, a wrong offset, a sequence
 * number past the end, or a buffer overflow rejects the image. Not thread-safe (one per task).
 */
public final class InlineAssembler implements AutoCloseable {
    private final Path spool;
    private final long maxImageBytes;
    private final int maxPendingRecords;
    private final Map<String, State> images = new HashMap<>();

    private static final class State {
        final String id;
        InlineHeader header;
        InlineEnd end;
        Path file;
        FileChannel out;
        MessageDigest sha = InlineSplitter.sha256();
        int nextSeq;
        long written;
        final List<Integer> appliedCrc = new ArrayList<>();
        final TreeMap<Integer, InlineTile> pending = new TreeMap<>();

        State(String id) {
            this.id = id;
        }
    }

    /**
     * @param spool             directory for files being assembled (created if absent)
     * @param maxImageBytes     largest file accepted
     * @param maxPendingRecords most early tile records buffered per image (each up to ~1 MiB in memory)
     */
    public InlineAssembler(Path spool, long maxImageBytes, int maxPendingRecords) throws IOException {
        this.spool = Files.createDirectories(spool);
        this.maxImageBytes = maxImageBytes;
        this.maxPendingRecords = maxPendingRecords;
    }

    /** Images started and not yet completed or rejected. */
    public int inProgress() {
        return images.size();
    }

    public AssemblyResult accept(ImageMessage m) {
        try {
            if (m instanceof InlineHeader h) {
                return onHeader(h);
            }
            if (m instanceof InlineTile t) {
                return onTile(t);
            }
            if (m instanceof InlineEnd e) {
                return onEnd(e);
            }
            if (m instanceof MalformedMessage x) {
                return reject(x.imageId(), x.error());
            }
            return new AssemblyResult.Rejected(m.imageId(), new IngestException(RejectReason.PROTOCOL_VIOLATION, m.imageId(),
                    "a reference message is not part of an inline stream"));
        } catch (IngestException e) {
            return reject(m.imageId(), e);
        } catch (IOException e) {
            return reject(m.imageId(), new IngestException(RejectReason.DECODE_FAILED, m.imageId(), "spool write failed: " + e.getMessage(), e));
        }
    }

    /** Gives up on an image (e.g. its records stopped arriving); its partial file is deleted. */
    public AssemblyResult.Rejected abandon(String imageId, String why) {
        State s = images.get(imageId);
        String missing = s == null ? "" : " (have " + s.nextSeq + " records in order"
                + (s.header == null ? ", no header" : "") + (s.end == null ? ", no end record" : ", end says " + s.end.records()) + ")";
        return reject(imageId, new IngestException(RejectReason.SEQUENCE_ERROR, imageId, why + missing));
    }

    private AssemblyResult.Rejected reject(String imageId, IngestException e) {
        State s = images.remove(imageId);
        if (s != null) {
            discard(s);
        }
        return new AssemblyResult.Rejected(imageId, e);
    }

    private static void discard(State s) {
        try {
            if (s.out != null) {
                s.out.close();
            }
            if (s.file != null) {
                Files.deleteIfExists(s.file);
            }
        } catch (IOException ignored) {
            // best effort: a stray spool file does not affect results
        }
    }

    private IngestException seqError(String id, String detail) {
        return new IngestException(RejectReason.SEQUENCE_ERROR, id, detail);
    }

    private AssemblyResult onHeader(InlineHeader h) throws IngestException, IOException {
        State s = images.get(h.imageId());
        if (s != null && s.header != null) {
            if (s.header.equals(h)) {
                return new AssemblyResult.Pending(h.imageId()); // replayed header
            }
            throw seqError(h.imageId(), "a second, different header arrived while the image was being assembled");
        }
        if (h.declaredBytes() > maxImageBytes) {
            throw new IngestException(RejectReason.TILE_BYTES_LIMIT, h.imageId(), "declared " + h.declaredBytes()
                    + " bytes (limit " + maxImageBytes + ")");
        }
        if (s == null) {
            s = new State(h.imageId());
            images.put(h.imageId(), s);
        }
        s.header = h;
        s.file = Files.createTempFile(spool, "inline-", ".part");
        s.out = FileChannel.open(s.file, StandardOpenOption.WRITE);
        return drain(s);
    }

    private AssemblyResult onTile(InlineTile t) throws IngestException, IOException {
        State s = images.computeIfAbsent(t.imageId(), State::new);
        int crc = crc(t);
        if (t.seq() < s.nextSeq) {
            if (s.appliedCrc.get(t.seq()) == crc) {
                return new AssemblyResult.Pending(t.imageId());
            }
            throw seqError(t.imageId(), "tile " + t.seq() + " arrived twice with different content");
        }
        InlineTile early = s.pending.get(t.seq());
        if (early != null) {
            if (crc(early) == crc && Arrays.equals(early.payload(), t.payload())) {
                return new AssemblyResult.Pending(t.imageId());
            }
            throw seqError(t.imageId(), "tile " + t.seq() + " arrived twice with different content");
        }
        if (s.end != null && t.seq() >= s.end.records()) {
            throw seqError(t.imageId(), "tile " + t.seq() + " is beyond the " + s.end.records() + " records of the end record");
        }
        s.pending.put(t.seq(), t);
        if (s.pending.size() > maxPendingRecords) {
            throw seqError(t.imageId(), "more than " + maxPendingRecords + " records arrived ahead of missing tile " + s.nextSeq);
        }
        return drain(s);
    }

    private AssemblyResult onEnd(InlineEnd e) throws IngestException, IOException {
        State s = images.computeIfAbsent(e.imageId(), State::new);
        if (s.end != null) {
            if (s.end.records() == e.records() && s.end.totalBytes() == e.totalBytes() && Arrays.equals(s.end.sha256(), e.sha256())) {
                return new AssemblyResult.Pending(e.imageId());
            }
            throw seqError(e.imageId(), "a second, different end record arrived");
        }
        if (e.records() < s.nextSeq || (!s.pending.isEmpty() && s.pending.lastKey() >= e.records())) {
            throw seqError(e.imageId(), "end record says " + e.records() + " tiles but more arrived");
        }
        s.end = e;
        return drain(s);
    }

    private static int crc(InlineTile t) {
        CRC32C c = new CRC32C();
        c.update(ByteBuffer.allocate(8).putLong(0, t.offset()));
        c.update(t.payload());
        return (int) c.getValue();
    }

    private AssemblyResult drain(State s) throws IngestException, IOException {
        if (s.header == null) {
            return new AssemblyResult.Pending(s.id);
        }
        InlineTile t;
        while ((t = s.pending.remove(s.nextSeq)) != null) {
            if (t.offset() != s.written) {
                throw seqError(s.id, "tile " + t.seq() + " claims offset " + t.offset() + " but " + s.written + " bytes precede it");
            }
            long after = s.written + t.payload().length;
            if (after > maxImageBytes || (s.header.declaredBytes() >= 0 && after > s.header.declaredBytes())) {
                throw new IngestException(RejectReason.TILE_BYTES_LIMIT, s.id, "tiles exceed " + (after > maxImageBytes
                        ? "the limit of " + maxImageBytes : "the declared " + s.header.declaredBytes()) + " bytes");
            }
            ByteBuffer b = ByteBuffer.wrap(t.payload());
            while (b.hasRemaining()) {
                s.out.write(b);
            }
            s.sha.update(t.payload());
            s.appliedCrc.add(crc(t));
            s.written = after;
            s.nextSeq++;
        }
        if (s.end == null || s.nextSeq < s.end.records()) {
            return new AssemblyResult.Pending(s.id);
        }
        images.remove(s.id);
        s.out.close();
        byte[] digest = s.sha.digest();
        if (s.written != s.end.totalBytes() || (s.header.declaredBytes() >= 0 && s.written != s.header.declaredBytes())) {
            discard(s);
            throw new IngestException(RejectReason.CHECKSUM_MISMATCH, s.id, "assembled " + s.written + " bytes, end record says "
                    + s.end.totalBytes() + ", header says " + s.header.declaredBytes());
        }
        if (!MessageDigest.isEqual(digest, s.end.sha256())) {
            discard(s);
            throw new IngestException(RejectReason.CHECKSUM_MISMATCH, s.id, "SHA-256 of the assembled bytes differs from the end record");
        }
        Path done = s.file.resolveSibling(s.file.getFileName().toString().replace(".part", ".img"));
        Files.move(s.file, done);
        return new AssemblyResult.Completed(s.id, done, s.written, HexFormat.of().formatHex(digest), s.header);
    }

    @Override
    public void close() {
        images.values().forEach(InlineAssembler::discard);
        images.clear();
    }
}
