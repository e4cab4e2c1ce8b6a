package io.turnstile.proxy.token;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Example;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class ScopeTest {
  @Example
  void repositoryScope() {
    assertThat(Scope.parse("repository:vendor/app:pull"))
        .contains(new Scope("repository", null, "vendor/app", Set.of("pull")));
  }

  @Example
  void nameWithHostAndPort_isNotSplitOnItsColon() {
    Scope s = Scope.parse("repository:localhost:5000/vendor/app:pull,push").orElseThrow();
    assertThat(s.name()).isEqualTo("localhost:5000/vendor/app");
    assertThat(s.actions()).containsExactlyInAnyOrder("pull", "push");
  }

  @Example
  void resourceClass_isKept() {
    Scope s = Scope.parse("repository(plugin):vendor/app:pull").orElseThrow();
    assertThat(s.resourceClass()).isEqualTo("plugin");
    assertThat(s.toString()).isEqualTo("repository(plugin):vendor/app:pull");
  }

  @Example
  void catalog() {
    assertThat(Scope.parse("registry:catalog:*")).contains(new Scope("registry", null, "catalog", Set.of("*")));
  }

  @Example
  void spaceSeparatedScopesInOneParameter() {
    assertThat(Scope.parseAll(List.of("repository:a:pull repository:b/c:pull", "registry:catalog:*")))
        .extracting(Scope::name).containsExactly("a", "b/c", "catalog");
  }

  @Example
  void malformedScopes_areEmpty() {
    for (String bad : List.of("", ":", "repository", "repository:", "repository::pull", "Repository:a:pull",
        "repository:A:pull", "repository:a/../b:pull", "repository:a:PULL", "repository(:a:pull", "repository:a//b:pull")) {
      assertThat(Scope.parse(bad)).as(bad).isEmpty();
    }
  }

  @Property
  void printThenParse_roundTrips(@ForAll("scopes") Scope scope) {
    assertThat(Scope.parse(scope.toString())).contains(scope);
  }

  @Property
  void arbitraryInput_neverThrows(@ForAll String text) {
    Optional<Scope> parsed = Scope.parse(text);
    parsed.ifPresent(s -> assertThat(Scope.parse(s.toString())).contains(s));
  }

  @Property
  void arbitraryScopeLikeInput_neverThrows(@ForAll("scopeLike") String text) {
    Scope.parse(text);
    Scope.parseAll(List.of(text, text + " " + text));
  }

  @Provide
  Arbitrary<String> scopeLike() {
    return Arbitraries.strings().withChars("ab:/(),.*-_ 0123456789%").ofMaxLength(60);
  }

  @Provide
  Arbitrary<Scope> scopes() {
    Arbitrary<String> component = Arbitraries.strings().withChars("abcxyz0189").ofMinLength(1).ofMaxLength(8);
    Arbitrary<String> separator = Arbitraries.of(".", "_", "__", "-", "--");
    Arbitrary<String> part = Combinators.combine(component, separator, component).as((a, s, b) -> a + s + b)
        .injectDuplicates(0.1);
    Arbitrary<String> name = Arbitraries.oneOf(component, part).list().ofMinSize(1).ofMaxSize(4)
        .map(parts -> String.join("/", parts));
    Arbitrary<String> host = Arbitraries.of("", "localhost:5000/", "registry.example.com/", "ghcr.io/", "a-b.c:1/");
    Arbitrary<String> type = Arbitraries.of("repository", "registry", "plugin0");
    Arbitrary<String> resourceClass = Arbitraries.of("plugin", "image").injectNull(0.6);
    Arbitrary<Set<String>> actions = Arbitraries.of("pull", "push", "delete", "*").set().ofMaxSize(4);
    return Combinators.combine(type, resourceClass, host, name, actions)
        .as((t, c, h, n, a) -> new Scope(t, c, h + n, a));
  }
}
