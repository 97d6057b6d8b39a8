package io.scanline.jobs.flink;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.scanline.operators.ScanEvent;

/** The JSON form of scan events on result/dead-letter topics and in output folders (deterministic). */
public final class EventJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private EventJson() {}

    public static ObjectNode tree(ScanEvent e) {
        ObjectNode o = JSON.createObjectNode();
        o.put("kind", e.kind.name());
        o.put("image", e.imageId);
        switch (e.kind) {
            case RESULT -> {
                o.put("class", e.classIndex);
                var l = o.putArray("logits");
                for (float v : e.logits) l.add(v);
                o.put("grid_h", e.gridH).put("grid_w", e.gridW).put("tokens", e.totalTokens);
            }
            case PATCHES -> {
                o.put("seq", e.seq).put("first_token", e.firstToken).put("tokens", e.tokens).put("total_tokens", e.totalTokens);
                var c = o.putArray("patch_classes");
                for (int v : e.patchClasses) c.add(v);
            }
            case DEAD_LETTER -> o.put("seq", e.seq).put("reason_code", e.reasonCode).put("reason", e.reason);
        }
        return o;
    }

    public static String of(ScanEvent e) {
        return tree(e).toString();
    }

    public static byte[] bytes(ScanEvent e) {
        return of(e).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
}
