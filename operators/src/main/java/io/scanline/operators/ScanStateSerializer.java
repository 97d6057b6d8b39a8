package io.scanline.operators;

import io.scanline.kernels.stream.CarriedState;
import io.scanline.kernels.tensor.Tensor;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Binary form of {@link ScanState} in keyed state (format version 1, little-endian tensor data):
 * <pre>
 *   int gridH, int gridW, long nextSeq
 *   bool rejected [UTF reason]
 *   bool carried  [int tensors {UTF name, int rank, int dims[rank], f32 data[numel]}, int scalars {UTF name, long}]
 * </pre>
 * Reads are bounded (rank, element counts) so a corrupt checkpoint fails with a message, not an OOM.
 */
public final class ScanStateSerializer extends TypeSerializer<ScanState> {
    private static final long serialVersionUID = 1L;
    static final int FORMAT_VERSION = 1;
    private static final int MAX_RANK = 8, MAX_ENTRIES = 1 << 16;
    private static final long MAX_NUMEL = 1L << 30;

    public static final ScanStateSerializer INSTANCE = new ScanStateSerializer();

    @Override public boolean isImmutableType() { return false; }

    @Override public TypeSerializer<ScanState> duplicate() { return this; }   // stateless

    @Override public ScanState createInstance() { return new ScanState(1, 1, 0, null, null); }

    @Override
    public ScanState copy(ScanState from) {
        return from == null ? null : new ScanState(from.gridH(), from.gridW(), from.nextSeq(),
                from.carried() == null ? null : from.carried().copy(), from.rejected());
    }

    @Override public ScanState copy(ScanState from, ScanState reuse) { return copy(from); }

    @Override public int getLength() { return -1; }

    @Override
    public void serialize(ScanState s, DataOutputView out) throws IOException {
        out.writeInt(s.gridH());
        out.writeInt(s.gridW());
        out.writeLong(s.nextSeq());
        out.writeBoolean(s.rejected() != null);
        if (s.rejected() != null) out.writeUTF(s.rejected());
        CarriedState c = s.carried();
        out.writeBoolean(c != null);
        if (c == null) return;
        out.writeInt(c.tensors().size());
        for (Map.Entry<String, Tensor> e : c.tensors().entrySet()) {
            Tensor t = e.getValue();
            out.writeUTF(e.getKey());
            out.writeInt(t.rank());
            for (int d : t.shape()) out.writeInt(d);
            ByteBuffer bb = ByteBuffer.allocate(4 * t.numel()).order(ByteOrder.LITTLE_ENDIAN);
            bb.asFloatBuffer().put(t.f32());
            out.write(bb.array());
        }
        out.writeInt(c.scalars().size());
        for (Map.Entry<String, Long> e : c.scalars().entrySet()) {
            out.writeUTF(e.getKey());
            out.writeLong(e.getValue());
        }
    }

    @Override
    public ScanState deserialize(DataInputView in) throws IOException {
        int gh = in.readInt(), gw = in.readInt();
        long next = in.readLong();
        String rejected = in.readBoolean() ? in.readUTF() : null;
        if (!in.readBoolean()) return new ScanState(gh, gw, next, null, rejected);
        int nt = bounded(in.readInt(), MAX_ENTRIES, "tensor count");
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (int i = 0; i < nt; i++) {
            String name = in.readUTF();
            int rank = bounded(in.readInt(), MAX_RANK, "rank of " + name);
            int[] shape = new int[rank];
            long numel = 1;
            for (int j = 0; j < rank; j++) {
                shape[j] = bounded(in.readInt(), Integer.MAX_VALUE, "dim of " + name);
                numel *= shape[j];
                if (numel > MAX_NUMEL) throw new IOException("scan state: tensor " + name + " exceeds " + MAX_NUMEL + " elements");
            }
            byte[] raw = new byte[(int) (4 * numel)];
            in.readFully(raw);
            float[] data = new float[(int) numel];
            ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data);
            tensors.put(name, Tensor.of(data, shape));
        }
        int ns = bounded(in.readInt(), MAX_ENTRIES, "scalar count");
        Map<String, Long> scalars = new LinkedHashMap<>();
        for (int i = 0; i < ns; i++) scalars.put(in.readUTF(), in.readLong());
        return new ScanState(gh, gw, next, new CarriedState(tensors, scalars), rejected);
    }

    private static int bounded(int v, int max, String what) throws IOException {
        if (v < 0 || v > max) throw new IOException("scan state: " + what + " = " + v + " outside [0, " + max + "]");
        return v;
    }

    @Override public ScanState deserialize(ScanState reuse, DataInputView in) throws IOException { return deserialize(in); }

    @Override
    public void copy(DataInputView in, DataOutputView out) throws IOException {
        serialize(deserialize(in), out);
    }

    @Override public boolean equals(Object o) { return o instanceof ScanStateSerializer; }

    @Override public int hashCode() { return ScanStateSerializer.class.hashCode(); }

    @Override public TypeSerializerSnapshot<ScanState> snapshotConfiguration() { return new Snapshot(); }

    /** Records the data format version; a checkpoint written by a newer format is refused, not misread. */
    public static final class Snapshot implements TypeSerializerSnapshot<ScanState> {
        private int format = FORMAT_VERSION;

        public Snapshot() {}

        @Override public int getCurrentVersion() { return 1; }

        @Override public void writeSnapshot(DataOutputView out) throws IOException { out.writeInt(format); }

        @Override
        public void readSnapshot(int readVersion, DataInputView in, ClassLoader cl) throws IOException {
            if (readVersion != 1) throw new IOException("unknown ScanStateSerializer snapshot version " + readVersion);
            format = in.readInt();
        }

        @Override public TypeSerializer<ScanState> restoreSerializer() {
            if (format != FORMAT_VERSION) throw new IllegalStateException("scan state format " + format + " cannot be read by this build (format " + FORMAT_VERSION + ")");
            return INSTANCE;
        }

        @Override
        public TypeSerializerSchemaCompatibility<ScanState> resolveSchemaCompatibility(TypeSerializerSnapshot<ScanState> old) {
            if (old instanceof Snapshot s && s.format == FORMAT_VERSION) return TypeSerializerSchemaCompatibility.compatibleAsIs();
            return TypeSerializerSchemaCompatibility.incompatible();
        }
    }
}
