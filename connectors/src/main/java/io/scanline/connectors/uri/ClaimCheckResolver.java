package io.scanline.connectors.uri;

import io.scanline.connectors.ingest.IngestException;
import io.scanline.connectors.ingest.RejectReason;
import io.scanline.connectors.protocol.ImageReference;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns a claim-check URI into a local file, only inside configured root directories.
 *
 * <p>{@code file:} URIs (and absolute paths) are checked twice: lexically (no {@code .} or
 * {@code ..} segment at all, even one that would stay inside, so logs show the path that is read) and
 * after resolving symlinks ({@link Path#toRealPath}) against the real path of each root, so a link
 * inside a root that points outside is refused. Other schemes go to a registered
 * {@link SchemeHandler} or are refused.
 */
public final class ClaimCheckResolver {
    private final List<Path> roots;
    private final Map<String, SchemeHandler> handlers;

    public ClaimCheckResolver(List<Path> roots, Map<String, SchemeHandler> handlers) throws IOException {
        if (roots.isEmpty()) {
            throw new IllegalArgumentException("at least one root directory is required");
        }
        List<Path> real = new ArrayList<>();
        for (Path r : roots) {
            real.add(r.toRealPath());
        }
        this.roots = List.copyOf(real);
        this.handlers = Map.copyOf(handlers);
    }

    public List<Path> roots() {
        return roots;
    }

    public Path resolve(String uri) throws IngestException {
        if (uri == null || uri.isEmpty() || uri.indexOf('\0') >= 0) {
            throw new IngestException(RejectReason.URI_NOT_ALLOWED, String.valueOf(uri), "empty URI or NUL character");
        }
        String pathPart;
        if (uri.startsWith("/")) {
            pathPart = uri;
        } else {
            URI u;
            try {
                u = new URI(uri);
            } catch (URISyntaxException e) {
                throw new IngestException(RejectReason.URI_NOT_ALLOWED, uri, "not a valid URI: " + e.getReason());
            }
            String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("file")) {
                SchemeHandler h = handlers.get(scheme);
                if (h == null) {
                    throw new IngestException(RejectReason.URI_SCHEME_UNSUPPORTED, uri, "no handler for scheme '" + scheme + "'");
                }
                return h.fetch(u);
            }
            if (u.getAuthority() != null && !u.getAuthority().isEmpty() && !u.getAuthority().equals("localhost")) {
                throw new IngestException(RejectReason.URI_NOT_ALLOWED, uri, "file URI with remote host '" + u.getAuthority() + "'");
            }
            pathPart = u.getPath(); // percent-decoded, so %2e%2e is seen as ..
            if (pathPart == null || !pathPart.startsWith("/")) {
                throw new IngestException(RejectReason.URI_NOT_ALLOWED, uri, "file URI needs an absolute path");
            }
        }
        for (String seg : pathPart.split("/")) {
            if (seg.equals("..") || seg.equals(".")) {
                throw new IngestException(RejectReason.URI_NOT_ALLOWED, uri, "path has a '" + seg + "' segment");
            }
        }
        Path p = Path.of(pathPart);
        if (roots.stream().noneMatch(p::startsWith)) {
            // The lexical path may reach a root through a symlinked parent: judge the real path.
            Path real = realOrNull(p);
            if (real == null || roots.stream().noneMatch(real::startsWith)) {
                throw new IngestException(RejectReason.URI_NOT_ALLOWED, uri, "outside the allowed roots " + roots);
            }
        }
        Path real;
        try {
            real = p.toRealPath();
        } catch (NoSuchFileException e) {
            throw new IngestException(RejectReason.NOT_FOUND, uri, "no such file");
        } catch (IOException e) {
            throw new IngestException(RejectReason.NOT_FOUND, uri, "cannot resolve: " + e.getMessage(), e);
        }
        if (roots.stream().noneMatch(real::startsWith)) {
            throw new IngestException(RejectReason.URI_NOT_ALLOWED, uri, "a symbolic link leads outside the allowed roots (to " + real + ")");
        }
        if (!Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) {
            throw new IngestException(RejectReason.NOT_FOUND, uri, "not a regular file");
        }
        return real;
    }

    private static Path realOrNull(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            return null;
        }
    }

    /** Resolves a reference and checks its optional size and SHA-256 against the file. */
    public Path resolveAndVerify(ImageReference ref) throws IngestException {
        Path p = resolve(ref.uri());
        try {
            if (ref.sizeBytes() != null && Files.size(p) != ref.sizeBytes()) {
                throw new IngestException(RejectReason.CHECKSUM_MISMATCH, ref.imageId(), "file has " + Files.size(p)
                        + " bytes, the reference says " + ref.sizeBytes());
            }
            if (ref.sha256() != null) {
                String actual = sha256Hex(p);
                if (!actual.equals(ref.sha256())) {
                    throw new IngestException(RejectReason.CHECKSUM_MISMATCH, ref.imageId(), "SHA-256 of " + p + " is " + actual
                            + ", the reference says " + ref.sha256());
                }
            }
        } catch (IOException e) {
            throw new IngestException(RejectReason.NOT_FOUND, ref.uri(), "cannot read: " + e.getMessage(), e);
        }
        return p;
    }

    public static String sha256Hex(Path p) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (InputStream in = Files.newInputStream(p)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
