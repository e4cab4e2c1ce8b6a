package io.turnstile.e2e;

import io.turnstile.testkit.Proc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * containerd with its CRI plugin, under a temporary directory, as a kubelet's node runs it: the
 * CRI plugin reads registry hosts from {@code registry.config_path}, where {@code
 * certs.d/<host:port>/hosts.toml} says that the registry speaks plain HTTP.
 */
final class ContainerdCri implements AutoCloseable {
  private final Path dir;
  private Process containerd;
  final String socket;

  ContainerdCri(Path dir) {
    this.dir = dir;
    this.socket = dir.resolve("containerd.sock").toString();
  }

  /** Starts containerd; {@code plainHttpRegistry} ({@code host:port}) is reached over plain HTTP. */
  ContainerdCri start(String plainHttpRegistry) throws Exception {
    String containerdBin = Proc.require("containerd");
    Path hosts = dir.resolve("certs.d").resolve(plainHttpRegistry);
    Files.createDirectories(hosts);
    Files.writeString(hosts.resolve("hosts.toml"), """
        server = "http://%1$s"

        [host."http://%1$s"]
          capabilities = ["pull", "resolve"]
        """.formatted(plainHttpRegistry));
    Path config = dir.resolve("config.toml");
    Files.writeString(config, """
        version = 2
        root = "%s"
        state = "%s"
        [grpc]
          address = "%s"
        [plugins."io.containerd.grpc.v1.cri".registry]
          config_path = "%s"
        """.formatted(dir.resolve("root"), dir.resolve("state"), socket, dir.resolve("certs.d")));
    containerd = Proc.start(List.of(containerdBin, "--config", config.toString()), Map.of(), dir.resolve("containerd.log"));
    Proc.await("containerd", Duration.ofSeconds(60), () -> Files.exists(Path.of(socket)));
    return this;
  }

  Path log() {
    return dir.resolve("containerd.log");
  }

  @Override
  public void close() {
    Proc.stop(containerd);
  }
}
