# Builds the Turnstile jar and runs it on a JRE.
#   docker build -t turnstile .
#   docker run -p 8080:8080 -p 9091:9091 -e TURNSTILE_ADMIN_TOKEN=... -v turnstile-data:/data turnstile
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml .
COPY config config
COPY license-store license-store
COPY registry-proxy registry-proxy
RUN mvn -B -q -DskipTests package

FROM eclipse-temurin:17-jre
# A fixed uid/gid (10001), so Kubernetes can run the image with runAsNonRoot and a matching runAsUser.
RUN groupadd --system --gid 10001 turnstile && useradd --system --uid 10001 --gid 10001 --home /data turnstile \
  && mkdir -p /data /etc/turnstile && chown turnstile:turnstile /data
COPY --from=build /src/registry-proxy/target/turnstile.jar /opt/turnstile/turnstile.jar
COPY config/turnstile.example.yaml /etc/turnstile/turnstile.yaml
# Class data sharing (AppCDS): a training run starts Turnstile on an empty store for 20 s and, at its
# exit, archives the classes it loaded; every start then maps them instead of loading them from the
# jar. Should the run fail, there is no archive and the JVM starts as without one.
RUN mkdir /tmp/training && cd /tmp/training \
  && (TURNSTILE_ADMIN_TOKEN=training-run-only-not-a-secret-0123456789 timeout -s TERM 20 \
      java -XX:ArchiveClassesAtExit=/opt/turnstile/turnstile.jsa -jar /opt/turnstile/turnstile.jar \
      serve --config /etc/turnstile/turnstile.yaml > /dev/null 2>&1 || true) \
  && cd / && rm -rf /tmp/training
USER 10001:10001
ENV TURNSTILE_LISTEN=0.0.0.0:8080 TURNSTILE_ADMIN_LISTEN=0.0.0.0:9091
WORKDIR /data
EXPOSE 8080 9091
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s CMD ["java", "-XX:TieredStopAtLevel=1", "-Xmx32m", "-jar", "/opt/turnstile/turnstile.jar", "health", "--url", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", "-XX:SharedArchiveFile=/opt/turnstile/turnstile.jsa", "-jar", "/opt/turnstile/turnstile.jar"]
CMD ["serve", "--config", "/etc/turnstile/turnstile.yaml"]
