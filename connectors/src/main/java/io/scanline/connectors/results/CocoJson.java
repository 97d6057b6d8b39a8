package io.scanline.connectors.results;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Detections as a COCO-style results file: {@code images}, {@code categories} (ids from 1 in the given
 * order) and {@code annotations} with {@code bbox = [x, y, width, height]} in level-0 pixels, {@code area},
 * {@code score} and {@code iscrowd = 0}. Pathology inputs add {@code microns_per_pixel} to the image entry.
 */
public final class CocoJson {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private CocoJson() {}

    public static ObjectNode build(ResultImage img, List<String> categories, List<Detection> dets) {
        ObjectNode root = JSON.createObjectNode();
        root.putObject("info").put("description", "Scanline detections").put("image_id", img.id());
        ObjectNode im = root.putArray("images").addObject().put("id", 1).put("file_name", img.fileName())
                .put("width", img.width()).put("height", img.height()).put("scanline_id", img.id());
        if (img.micronsPerPixel() != null) im.put("microns_per_pixel", img.micronsPerPixel());
        Map<String, Integer> ids = new LinkedHashMap<>();
        ArrayNode cats = root.putArray("categories");
        for (String c : categories) {
            ids.put(c, ids.size() + 1);
            cats.addObject().put("id", ids.get(c)).put("name", c);
        }
        ArrayNode anns = root.putArray("annotations");
        int n = 0;
        for (Detection d : dets) {
            Integer cid = ids.get(d.category());
            if (cid == null) throw new IllegalArgumentException("detection of unknown category '" + d.category() + "', known " + ids.keySet());
            ObjectNode a = anns.addObject().put("id", ++n).put("image_id", 1).put("category_id", cid);
            a.putArray("bbox").add(d.x0()).add(d.y0()).add(d.x1() - d.x0()).add(d.y1() - d.y0());
            a.put("area", (d.x1() - d.x0()) * (d.y1() - d.y0())).put("score", d.score()).put("iscrowd", 0);
        }
        return root;
    }

    public static void write(Path file, ResultImage img, List<String> categories, List<Detection> dets) throws IOException {
        JSON.writeValue(file.toFile(), build(img, categories, dets));
    }
}
