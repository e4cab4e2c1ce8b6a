package io.turnstile.proxy.access;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.archivers.zip.ZipEncoding;
import org.apache.commons.compress.archivers.zip.ZipEncodingHelper;

/**
 * The bytes of a bundle's tar archive, decided before the first one is sent: a list of segments,
 * each either held in memory (tar headers, padding, small files, manifests) or a blob streamed from
 * its upstream, with every segment's offset known. So the answer has an exact {@code Content-Length}
 * and a {@code Range} maps to (segment, offset within it). Headers are ustar, written by Commons
 * Compress in star mode (a size of 8 GiB or more in base-256, which GNU tar and Go's archive/tar
 * read); every entry has mode 0644 (directories 0755), owner 0:0 with no names and time 0, so the
 * same content gives the same bytes on every replica and every request.
 */
final class BundleLayout {
  private static final ZipEncoding UTF8 = ZipEncodingHelper.getZipEncoding(StandardCharsets.UTF_8);
  private static final int BLOCK = 512;

  /** A run of bytes of the archive. */
  sealed interface Segment permits Inline, Streamed {
    long size();
  }

  /** Bytes held in memory. */
  record Inline(byte[] bytes) implements Segment {
    @Override
    public long size() {
      return bytes.length;
    }
  }

  /** A blob's content, read as it is sent. */
  record Streamed(BundleBlob blob) implements Segment {
    @Override
    public long size() {
      return blob.size();
    }
  }

  private final List<Segment> segments;
  private final long[] starts;
  private final long length;
  private final String etag;

  private BundleLayout(List<Segment> segments, String etag) {
    this.segments = List.copyOf(segments);
    this.starts = new long[segments.size()];
    long at = 0;
    for (int i = 0; i < segments.size(); i++) {
      starts[i] = at;
      at += segments.get(i).size();
    }
    this.length = at;
    this.etag = etag;
  }

  /** The archive's exact length in bytes. */
  long length() {
    return length;
  }

  /** A strong validator of the whole archive: the same content gives the same tag. */
  String etag() {
    return etag;
  }

  int segments() {
    return segments.size();
  }

  Segment segment(int i) {
    return segments.get(i);
  }

  long start(int i) {
    return starts[i];
  }

  /** The index of the segment holding byte {@code offset} ({@code 0 <= offset < length}). */
  int segmentAt(long offset) {
    int i = Arrays.binarySearch(starts, offset);
    if (i >= 0) {
      // Empty segments share a start: take the last of them, which holds the byte.
      while (i + 1 < starts.length && starts[i + 1] == offset) {
        i++;
      }
      return i;
    }
    return -i - 2;
  }

  /** Builds a layout entry by entry, in archive order. */
  static final class Builder {
    private final List<Segment> segments = new ArrayList<>();
    private final MessageDigest tag = sha256();

    /** A regular file held in memory. */
    Builder file(String name, byte[] data) {
      inline(header(name, data.length, false));
      inline(data);
      inline(new byte[padding(data.length)]);
      return this;
    }

    /** A directory. */
    Builder directory(String name) {
      inline(header(name.endsWith("/") ? name : name + "/", 0, true));
      return this;
    }

    /** A blob under {@code blobs/sha256/}, streamed from its upstream. */
    Builder blob(BundleBlob blob) {
      inline(header(blob.path(), blob.size(), false));
      segments.add(new Streamed(blob));
      tag.update((blob.digest() + "/" + blob.size()).getBytes(StandardCharsets.UTF_8));
      inline(new byte[padding(blob.size())]);
      return this;
    }

    /** The layout, ended with the two zero blocks that close a tar archive. */
    BundleLayout build() {
      inline(new byte[2 * BLOCK]);
      return new BundleLayout(segments, "\"" + HexFormat.of().formatHex(tag.digest()) + "\"");
    }

    private void inline(byte[] bytes) {
      if (bytes.length > 0) {
        segments.add(new Inline(bytes));
        tag.update(bytes);
      }
    }
  }

  private static int padding(long size) {
    return (int) ((BLOCK - size % BLOCK) % BLOCK);
  }

  private static byte[] header(String name, long size, boolean directory) {
    TarArchiveEntry e = new TarArchiveEntry(name, directory ? TarConstants.LF_DIR : TarConstants.LF_NORMAL);
    e.setSize(size);
    e.setMode(directory ? 040755 : 0100644);
    e.setModTime(FileTime.fromMillis(0));
    e.setIds(0, 0);
    e.setNames("", "");
    byte[] header = new byte[BLOCK];
    try {
      e.writeEntryHeader(header, UTF8, true);
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
    return header;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
