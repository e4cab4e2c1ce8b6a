package io.turnstile.proxy.access;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One upstream's manifests and last seen tags on disk, in {@code <blob cache>/manifests}: {@code
 * sha256/ab/abcd…} holds a manifest's content type on its first line and then its exact bytes, and
 * {@code tags/<sha256 of the source key>/<tag>} the digest the tag last had and when the upstream
 * said so. Every file is written to {@code tmp} and renamed into place, so a reader never sees half
 * of one, and a manifest is checked against its digest each time it is read. Blocking: called on an
 * executor, never on an event loop.
 */
final class ManifestFiles {
  private static final Logger log = LoggerFactory.getLogger(ManifestFiles.class);
  /** What a tag can be (the distribution grammar), so a tag is always one plain file name. */
  private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
  private static final Pattern SHA256 = Pattern.compile("sha256:[a-f0-9]{64}");

  /** A manifest as kept: its content type and exact bytes. */
  record Stored(String contentType, byte[] body) {}

  /** The digest a tag last had upstream, and when the upstream last said so. */
  record Seen(String tag, String digest, Instant at) {}

  private final String upstream;
  private final Path byDigest;
  private final Path tags;
  private final Path tmp;

  private ManifestFiles(String upstream, Path root) {
    this.upstream = upstream;
    this.byDigest = root.resolve("sha256");
    this.tags = root.resolve("tags");
    this.tmp = root.resolve("tmp");
  }

  /** Opens (creating when missing) the files under {@code root}, deleting writes a crash cut short. */
  static ManifestFiles open(String upstream, Path root) throws IOException {
    ManifestFiles files = new ManifestFiles(upstream, root);
    Files.createDirectories(files.byDigest);
    Files.createDirectories(files.tags);
    Files.createDirectories(files.tmp);
    try (DirectoryStream<Path> left = Files.newDirectoryStream(files.tmp)) {
      for (Path p : left) {
        Files.deleteIfExists(p);
      }
    }
    return files;
  }

  /** The manifest with {@code digest}, if kept and still matching it; a file that does not is deleted. */
  Optional<Stored> read(String digest) throws IOException {
    if (!SHA256.matcher(digest).matches()) {
      return Optional.empty();
    }
    Path file = manifestFile(digest);
    byte[] all;
    try {
      all = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    int eol = indexOf(all, (byte) '\n');
    byte[] body = eol < 0 ? null : Arrays.copyOfRange(all, eol + 1, all.length);
    if (body == null || !digest.equals("sha256:" + ClosureCache.sha256(body))) {
      log.warn("manifest cache of upstream {}: dropping {}: its content does not match its digest", upstream, digest);
      Files.deleteIfExists(file);
      return Optional.empty();
    }
    return Optional.of(new Stored(new String(all, 0, eol, StandardCharsets.UTF_8), body));
  }

  /** Keeps the manifest {@code body} with {@code digest}, which the caller has verified. */
  void write(String digest, String contentType, byte[] body) throws IOException {
    if (!SHA256.matcher(digest).matches() || contentType.indexOf('\n') >= 0 || Files.exists(manifestFile(digest))) {
      return;
    }
    byte[] head = (contentType + "\n").getBytes(StandardCharsets.UTF_8);
    byte[] all = Arrays.copyOf(head, head.length + body.length);
    System.arraycopy(body, 0, all, head.length, body.length);
    place(manifestFile(digest), all);
  }

  /** The upstream said just now that {@code tag} of {@code sourceKey} has {@code digest}. */
  void saw(String sourceKey, String tag, String digest, Instant at) throws IOException {
    if (!TAG.matcher(tag).matches() || !SHA256.matcher(digest).matches()) {
      return;
    }
    place(tagDirectory(sourceKey).resolve(tag),
        (digest + " " + at.toEpochMilli() + "\n").getBytes(StandardCharsets.UTF_8));
  }

  /** The upstream said just now that {@code tag} of {@code sourceKey} does not exist. */
  void gone(String sourceKey, String tag) throws IOException {
    if (TAG.matcher(tag).matches()) {
      Files.deleteIfExists(tagDirectory(sourceKey).resolve(tag));
    }
  }

  /** What {@code tag} of {@code sourceKey} was last seen to be. */
  Optional<Seen> seen(String sourceKey, String tag) throws IOException {
    if (!TAG.matcher(tag).matches()) {
      return Optional.empty();
    }
    return readSeen(tagDirectory(sourceKey).resolve(tag));
  }

  /** Every tag of {@code sourceKey} seen, with what it was last seen to be. */
  List<Seen> seen(String sourceKey) throws IOException {
    List<Seen> all = new ArrayList<>();
    Path dir = tagDirectory(sourceKey);
    if (!Files.isDirectory(dir)) {
      return all;
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        readSeen(f).ifPresent(all::add);
      }
    }
    return all;
  }

  private Optional<Seen> readSeen(Path file) throws IOException {
    String line;
    try {
      line = Files.readString(file, StandardCharsets.UTF_8).trim();
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    String[] parts = line.split(" ");
    try {
      if (parts.length == 2 && SHA256.matcher(parts[0]).matches()) {
        return Optional.of(new Seen(file.getFileName().toString(), parts[0],
            Instant.ofEpochMilli(Long.parseLong(parts[1]))));
      }
    } catch (NumberFormatException e) {
      // unreadable: as if never seen
    }
    return Optional.empty();
  }

  private void place(Path target, byte[] content) throws IOException {
    Files.createDirectories(target.getParent());
    Path part = Files.createTempFile(tmp, "part-", "");
    try {
      Files.write(part, content);
      Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(part);
    }
  }

  private Path manifestFile(String digest) {
    String hex = digest.substring("sha256:".length());
    return byDigest.resolve(hex.substring(0, 2)).resolve(hex);
  }

  /** A source key names credentials (a password's hash among them): only its hash names a directory. */
  private Path tagDirectory(String sourceKey) {
    return tags.resolve(ClosureCache.sha256(sourceKey.getBytes(StandardCharsets.UTF_8)));
  }

  private static int indexOf(byte[] a, byte b) {
    for (int i = 0; i < a.length; i++) {
      if (a[i] == b) {
        return i;
      }
    }
    return -1;
  }
}
