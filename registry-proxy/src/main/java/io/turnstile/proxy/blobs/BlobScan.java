package io.turnstile.proxy.blobs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The start-up read of a cache directory: deletes the downloads a previous process left unfinished
 * in {@code tmp}, and lists the blobs under {@code sha256} oldest modification first, so that an
 * index rebuilt from them in that order evicts what was used longest ago. Only regular files named
 * by a lowercase SHA-256 inside the shard directory of their first byte count; anything else there
 * is left alone and never served. The blobs come back unverified: their content is checked the first
 * time they are served.
 */
final class BlobScan {
  /** Past this many files the packed sort below runs out of bits for the position. */
  private static final int PACKED = 1 << 20;

  private BlobScan() {}

  /** What a directory held: its blobs, oldest first, and how many unfinished downloads were deleted. */
  record Result(List<BlobStore.Entry> oldestFirst, int leftovers) {}

  private record Found(String hex, Path path, long size, long modified) {}

  /** Reads {@code blobs} and empties {@code tmp}, creating either when missing. */
  static Result read(Path blobs, Path tmp) throws IOException {
    try {
      Files.createDirectories(tmp);
      Files.createDirectories(blobs);
      int leftovers = 0;
      try (var parts = Files.newDirectoryStream(tmp)) {
        for (Path p : parts) {
          Files.deleteIfExists(p);
          leftovers++;
        }
      }
      // One directory per first byte of the digest, read in parallel: a start-up with 100,000 files
      // is bounded by the stat of each, which the file system serves concurrently.
      List<Path> shards = new ArrayList<>();
      try (var dirs = Files.newDirectoryStream(blobs)) {
        for (Path d : dirs) {
          String name = d.getFileName().toString();
          if (name.length() == 2 && isHex(name) && Files.isDirectory(d)) {
            shards.add(d);
          }
        }
      }
      List<Found> found = shards.parallelStream().flatMap(d -> scan(d).stream()).collect(Collectors.toList());
      return new Result(oldestFirst(found), leftovers);
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  private static List<BlobStore.Entry> oldestFirst(List<Found> found) {
    // Up to a million files, sorted as primitives: (modified millis, position) packed in one long
    // each, several times faster than sorting the records at start-up.
    long[] order = new long[found.size()];
    if (order.length < PACKED) {
      for (int i = 0; i < order.length; i++) {
        order[i] = Math.max(0, found.get(i).modified()) << 20 | i;
      }
      Arrays.sort(order);
    } else {
      found.sort(Comparator.comparingLong(Found::modified));
      for (int i = 0; i < order.length; i++) {
        order[i] = i;
      }
    }
    List<BlobStore.Entry> out = new ArrayList<>(order.length);
    for (long o : order) {
      Found f = found.get(order.length < PACKED ? (int) (o & (PACKED - 1)) : (int) o);
      out.add(new BlobStore.Entry(f.hex(), f.path(), f.size(), false, f.modified()));
    }
    return out;
  }

  /** The blobs in one shard directory: files named by a digest that starts with the directory's name. */
  private static List<Found> scan(Path shard) {
    String prefix = shard.getFileName().toString();
    List<Found> out = new ArrayList<>();
    try (var files = Files.newDirectoryStream(shard)) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        if (name.length() == 64 && name.startsWith(prefix) && isHex(name)) {
          BasicFileAttributes attrs = Files.readAttributes(f, BasicFileAttributes.class);
          if (attrs.isRegularFile()) {
            out.add(new Found(name, f, attrs.size(), attrs.lastModifiedTime().toMillis()));
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  /** Lowercase hex only, as digests are written. */
  private static boolean isHex(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
        return false;
      }
    }
    return true;
  }
}
