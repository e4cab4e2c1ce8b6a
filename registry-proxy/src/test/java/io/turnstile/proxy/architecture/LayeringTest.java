package io.turnstile.proxy.architecture;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The packages of the server import downwards only. From the top: the command line, the server
 * (listeners and wiring), the vendor console (above the admin API it works through), the admin API
 * and the customer portal, the data plane ({@code access}), then tokens, the upstream client, the
 * pull audit log's writer ({@code audit}), the fair-use counters ({@code limits}), the blob cache's files ({@code blobs}) and the pages'
 * shared plumbing ({@code web}), and at the bottom the registry protocol's vocabulary ({@code oci}),
 * the transport choice, the event-loop helpers, the listeners' TLS and what Turnstile tells its
 * operators ({@code observe}: metrics, health, the log), which import nothing of Turnstile's proxy
 * above them. The compiled page templates ({@code pages}) are reached by name only, and see the
 * console's and portal's views.
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
        .layer("console").definedBy("io.turnstile.proxy.console..")
        .layer("admin").definedBy("io.turnstile.proxy.admin..")
        .layer("portal").definedBy("io.turnstile.proxy.portal..")
        .layer("access").definedBy("io.turnstile.proxy.access..")
        .layer("token").definedBy("io.turnstile.proxy.token..")
        .layer("upstream").definedBy("io.turnstile.proxy.upstream..")
        .layer("web").definedBy("io.turnstile.proxy.web..")
        .layer("pages").definedBy("io.turnstile.proxy.pages..")
        .layer("audit").definedBy("io.turnstile.proxy.audit..")
        .layer("blobs").definedBy("io.turnstile.proxy.blobs..")
        .layer("oci").definedBy("io.turnstile.proxy.oci..")
        .layer("transport").definedBy("io.turnstile.proxy.transport..")
        .layer("concurrent").definedBy("io.turnstile.proxy.concurrent..")
        .layer("tls").definedBy("io.turnstile.proxy.tls..")
        .layer("observe").definedBy("io.turnstile.proxy.observe..")
        .layer("webhooks").definedBy("io.turnstile.proxy.webhooks..")
        .layer("limits").definedBy("io.turnstile.proxy.limits..")
        .whereLayer("main").mayNotBeAccessedByAnyLayer()
        .whereLayer("cli").mayOnlyBeAccessedByLayers("main")
        .whereLayer("server").mayOnlyBeAccessedByLayers("main", "cli")
        .whereLayer("console").mayOnlyBeAccessedByLayers("server", "pages")
        .whereLayer("admin").mayOnlyBeAccessedByLayers("server", "console")
        .whereLayer("portal").mayOnlyBeAccessedByLayers("server", "pages")
        .whereLayer("access").mayOnlyBeAccessedByLayers("server")
        .whereLayer("pages").mayNotBeAccessedByAnyLayer()
        .whereLayer("web").mayOnlyBeAccessedByLayers("server", "admin", "console", "portal", "pages")
        .whereLayer("token").mayOnlyBeAccessedByLayers("server", "admin", "access", "portal")
        .whereLayer("audit").mayOnlyBeAccessedByLayers("server", "access")
        .whereLayer("blobs").mayOnlyBeAccessedByLayers("server", "access")
        .whereLayer("upstream").mayOnlyBeAccessedByLayers("server", "admin", "portal", "access")
        .whereLayer("oci").mayOnlyBeAccessedByLayers("server", "admin", "portal", "access", "token", "upstream",
            "blobs", "observe", "limits")
        .whereLayer("transport").mayOnlyBeAccessedByLayers("server", "admin", "upstream", "webhooks")
        .whereLayer("concurrent").mayOnlyBeAccessedByLayers("access", "upstream")
        .whereLayer("tls").mayOnlyBeAccessedByLayers("cli", "server", "admin")
        .whereLayer("observe").mayOnlyBeAccessedByLayers("cli", "server", "admin", "access", "token", "upstream")
        .whereLayer("webhooks").mayOnlyBeAccessedByLayers("server", "admin")
        .whereLayer("limits").mayOnlyBeAccessedByLayers("server", "console", "admin", "portal", "access")
        .check(CLASSES);
  }
}
