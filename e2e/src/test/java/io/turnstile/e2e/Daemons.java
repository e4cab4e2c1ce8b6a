package io.turnstile.e2e;

import io.turnstile.testkit.Proc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * containerd and dockerd started under a temporary directory, touching no system daemon: no
 * iptables, no bridge. Docker treats 127.0.0.0/8 registries as plain HTTP.
 */
final class Daemons implements AutoCloseable {
  private final Path dir;
  private Process containerd;
  private Process dockerd;
  final Map<String, String> dockerEnv;
  final String containerdSocket;

  Daemons(Path dir) {
    this.dir = dir;
    this.containerdSocket = dir.resolve("containerd/containerd.sock").toString();
    this.dockerEnv = Map.of("DOCKER_HOST", "unix://" + dir.resolve("docker/docker.sock"),
        "DOCKER_CONFIG", dir.resolve("docker/config").toString());
  }

  Daemons start() throws Exception {
    String containerdBin = Proc.require("containerd");
    String dockerdBin = Proc.require("dockerd");
    Proc.require("docker");
    Proc.require("ctr");
    Files.createDirectories(dir.resolve("containerd"));
    Files.createDirectories(dir.resolve("docker/config"));
    Path config = dir.resolve("containerd/config.toml");
    Files.writeString(config, """
        version = 2
        root = "%s"
        state = "%s"
        [grpc]
          address = "%s"
        """.formatted(dir.resolve("containerd/root"), dir.resolve("containerd/state"), containerdSocket));
    containerd = Proc.start(List.of(containerdBin, "--config", config.toString()), Map.of(), dir.resolve("containerd.log"));
    Proc.await("containerd", Duration.ofSeconds(60), () -> Files.exists(Path.of(containerdSocket)));
    dockerd = Proc.start(List.of(dockerdBin, "--iptables=false", "--ip6tables=false", "--bridge=none",
        "--data-root", dir.resolve("docker/root").toString(), "--exec-root", dir.resolve("docker/exec").toString(),
        "--pidfile", dir.resolve("docker/dockerd.pid").toString(), "-H", dockerEnv.get("DOCKER_HOST"),
        "--containerd", containerdSocket), Map.of(), dir.resolve("dockerd.log"));
    Proc.await("dockerd", Duration.ofSeconds(60), () -> Proc.run(dockerEnv, "docker", "version").exit() == 0);
    return this;
  }

  Proc.Result docker(String... args) {
    String[] cmd = new String[args.length + 1];
    cmd[0] = "docker";
    System.arraycopy(args, 0, cmd, 1, args.length);
    return Proc.run(List.of(cmd), dockerEnv, null, Duration.ofMinutes(2));
  }

  Proc.Result dockerWithInput(String stdin, String... args) {
    String[] cmd = new String[args.length + 1];
    cmd[0] = "docker";
    System.arraycopy(args, 0, cmd, 1, args.length);
    return Proc.run(List.of(cmd), dockerEnv, stdin, Duration.ofMinutes(2));
  }

  Proc.Result ctr(String... args) {
    String[] cmd = new String[args.length + 3];
    cmd[0] = "ctr";
    cmd[1] = "--address";
    cmd[2] = containerdSocket;
    System.arraycopy(args, 0, cmd, 3, args.length);
    return Proc.run(List.of(cmd), Map.of(), null, Duration.ofMinutes(2));
  }

  @Override
  public void close() {
    Proc.stop(dockerd);
    Proc.stop(containerd);
  }
}
