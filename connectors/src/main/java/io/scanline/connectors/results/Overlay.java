package io.scanline.connectors.results;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A picture for people: the RGB image with the mask tinted green and boxes drawn in yellow, optionally
 * downscaled (nearest) so a whole slide region fits a screen. Glossary: W x H image pixels, f scale.
 */
public final class Overlay {
    private Overlay() {}

    /**
     * @param rgb  packed 0xRRGGBB pixels (W * H)
     * @param mask W * H labels, non-zero = foreground (or null)
     */
    public static BufferedImage render(int[] rgb, int width, int height, byte[] mask, List<Detection> dets, int maxSide) {
        double f = Math.min(1.0, maxSide / (double) Math.max(width, height));
        int ow = Math.max(1, (int) Math.round(width * f)), oh = Math.max(1, (int) Math.round(height * f));
        BufferedImage out = new BufferedImage(ow, oh, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < oh; y++) {
            int sy = Math.min(height - 1, (int) (y / f));
            for (int x = 0; x < ow; x++) {
                int sx = Math.min(width - 1, (int) (x / f));
                int p = rgb[sy * width + sx];
                if (mask != null && mask[sy * width + sx] != 0) {
                    int r = (p >> 16) & 255, g = (p >> 8) & 255, b = p & 255;
                    p = ((int) (r * 0.55) << 16) | ((int) (g * 0.55 + 200 * 0.45) << 8) | (int) (b * 0.55);
                }
                out.setRGB(x, y, p);
            }
        }
        Graphics2D g = out.createGraphics();
        g.setColor(new Color(255, 220, 0));
        g.setStroke(new BasicStroke(1f));
        for (Detection d : dets) {
            g.drawRect((int) Math.round(d.x0() * f), (int) Math.round(d.y0() * f),
                    Math.max(1, (int) Math.round((d.x1() - d.x0()) * f) - 1), Math.max(1, (int) Math.round((d.y1() - d.y0()) * f) - 1));
        }
        g.dispose();
        return out;
    }

    public static void write(Path file, BufferedImage img) throws IOException {
        if (!ImageIO.write(img, "png", file.toFile())) throw new IOException("no PNG writer available");
    }
}
