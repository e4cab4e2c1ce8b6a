package io.turnstile.proxy.architecture;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The packages of the server import downwards only. From the top: the command line, the server
 * (listeners and wiring), the admin API, the data plane ({@code access}), then tokens, the
 * upstream client, the pull audit log's writer ({@code audit}) and the blob cache's files ({@code
 * blobs}), and at the bottom the registry
 * protocol's vocabulary ({@code oci}), the transport choice, the event-loop helpers, the listeners'
 * TLS and what Turnstile tells its operators ({@code observe}: metrics, health, the log), which
 * import nothing of Turnstile's proxy above them.
 */
class LayeringTest {
  private static final JavaClasses CLASSES = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
      .importPackages("io.turnstile.proxy");

  @Test
  void noPackageImportsAPackageThatImportsItBack() {
    slices().matching("io.turnstile.proxy.(*)..").should().beFreeOfCycles().check(CLASSES);
  }

  @Test
  void packagesImportOnlyTheLayersBelowThem() {
    layeredArchitecture().consideringOnlyDependenciesInLayers()
        .layer("main").definedBy("io.turnstile.proxy")
        .layer("cli").definedBy("io.turnstile.proxy.cli..")
        .layer("server").definedBy("io.turnstile.proxy.server..")
        .layer("admin").definedBy("io.turnstile.proxy.admin..")
        .layer("access").definedBy("io.turnstile.proxy.access..")
        .layer("token").definedBy("io.turnstile.proxy.token..")
        .layer("upstream").definedBy("io.turnstile.proxy.upstream..")
        .layer("audit").definedBy("io.turnstile.proxy.audit..")
        .layer("blobs").definedBy("io.turnstile.proxy.blobs..")
        .layer("oci").definedBy("io.turnstile.proxy.oci..")
        .layer("transport").definedBy("io.turnstile.proxy.transport..")
        .layer("concurrent").definedBy("io.turnstile.proxy.concurrent..")
        .layer("tls").definedBy("io.turnstile.proxy.tls..")
        .layer("observe").definedBy("io.turnstile.proxy.observe..")
        .whereLayer("main").mayNotBeAccessedByAnyLayer()
        .whereLayer("cli").mayOnlyBeAccessedByLayers("main")
        .whereLayer("server").mayOnlyBeAccessedByLayers("main", "cli")
        .whereLayer("admin").mayOnlyBeAccessedByLayers("server")
        .whereLayer("access").mayOnlyBeAccessedByLayers("server")
        .whereLayer("token").mayOnlyBeAccessedByLayers("server", "admin", "access")
        .whereLayer("audit").mayOnlyBeAccessedByLayers("server", "access")
        .whereLayer("blobs").mayOnlyBeAccessedByLayers("server", "access")
        .whereLayer("upstream").mayOnlyBeAccessedByLayers("server", "admin", "access")
        .whereLayer("oci").mayOnlyBeAccessedByLayers("server", "admin", "access", "token", "upstream", "blobs", "observe")
        .whereLayer("transport").mayOnlyBeAccessedByLayers("server", "admin", "upstream")
        .whereLayer("concurrent").mayOnlyBeAccessedByLayers("access", "upstream")
        .whereLayer("tls").mayOnlyBeAccessedByLayers("cli", "server", "admin")
        .whereLayer("observe").mayOnlyBeAccessedByLayers("cli", "server", "admin", "access", "token", "upstream")
        .check(CLASSES);
  }
}
