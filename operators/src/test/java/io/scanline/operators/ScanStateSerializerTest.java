package io.scanline.operators;

import io.scanline.kernels.stream.CarriedState;
import io.scanline.kernels.tensor.Tensor;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class ScanStateSerializerTest {
    static ScanState sample() {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("blocks.0.conv_tail", Tensor.of(new float[] {1f, -2.5f, Float.MIN_VALUE, 3e38f, -0f, 7f}, 1, 3, 2));
        t.put("blocks.0.h", Tensor.of(new float[] {0.125f}, 1, 1, 1));
        return new ScanState(3, 5, 7, new CarriedState(t, Map.of("position", 11L)), null);
    }

    static ScanState roundTrip(ScanState s) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(64);
        ScanStateSerializer.INSTANCE.serialize(s, out);
        return ScanStateSerializer.INSTANCE.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
    }

    @Test
    void roundTripsBitExactly() throws IOException {
        ScanState s = sample(), r = roundTrip(s);
        assertEquals(s.carried(), r.carried());
        assertEquals(3, r.gridH());
        assertEquals(5, r.gridW());
        assertEquals(7, r.nextSeq());
        assertEquals(java.util.List.copyOf(s.carried().tensors().keySet()), java.util.List.copyOf(r.carried().tensors().keySet()));
        ScanState tomb = roundTrip(ScanState.tombstone(2, 2, 4, "gap: expected chunk 1, got 3"));
        assertNull(tomb.carried());
        assertEquals("gap: expected chunk 1, got 3", tomb.rejected());
    }

    @Test
    void copyIsDeep() {
        ScanState s = sample(), c = ScanStateSerializer.INSTANCE.copy(s);
        c.carried().tensor("blocks.0.h").f32()[0] = 99f;
        assertEquals(0.125f, s.carried().tensor("blocks.0.h").f32()[0]);
    }

    @Test
    void corruptBytesFailWithAMessage() throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(64);
        out.writeInt(1);
        out.writeInt(1);
        out.writeLong(0);
        out.writeBoolean(false);
        out.writeBoolean(true);
        out.writeInt(1);
        out.writeUTF("x");
        out.writeInt(99);    // rank 99
        IOException e = assertThrows(IOException.class,
                () -> ScanStateSerializer.INSTANCE.deserialize(new DataInputDeserializer(out.getCopyOfBuffer())));
        assertTrue(e.getMessage().contains("rank of x"), e.getMessage());
    }

    @Test
    void snapshotIsVersionedAndCompatibleWithItself() throws IOException {
        TypeSerializerSnapshot<ScanState> snap = ScanStateSerializer.INSTANCE.snapshotConfiguration();
        DataOutputSerializer out = new DataOutputSerializer(16);
        snap.writeSnapshot(out);
        ScanStateSerializer.Snapshot read = new ScanStateSerializer.Snapshot();
        read.readSnapshot(snap.getCurrentVersion(), new DataInputDeserializer(out.getCopyOfBuffer()), getClass().getClassLoader());
        assertTrue(snap.resolveSchemaCompatibility(read).isCompatibleAsIs());
        assertSame(ScanStateSerializer.INSTANCE, read.restoreSerializer());
        assertThrows(IOException.class, () -> new ScanStateSerializer.Snapshot().readSnapshot(2,
                new DataInputDeserializer(out.getCopyOfBuffer()), getClass().getClassLoader()));
    }
}
