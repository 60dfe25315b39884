# syntax=docker/dockerfile:1
#
# The Saman intake service image.
#
#   docker build -f deploy/intake.Dockerfile -t saman-intake .      (from the repository root)
#
# Needs BuildKit (the default builder since Docker 23) for the cache mounts. The build
# context is the whole workspace (see /.dockerignore): cargo needs every member's manifest
# and the Cargo.lock, and the protos compile with protox inside cargo (no protoc needed).
#
# Structure, so the projection service's image (a later milestone) is a copy of this file
# with a different PACKAGE/BINARY and its own last stage:
#   builder  builds one workspace package/binary (ARG PACKAGE, ARG BINARY);
#   runtime  the service-neutral base: Debian slim, CA certificates, non-root user,
#            /var/lib/saman;
#   intake   the intake binary, its port, its environment defaults and its entrypoint.

ARG RUST_IMAGE=rust:1-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

# ---------------------------------------------------------------------------------------
FROM ${RUST_IMAGE} AS builder

# The workspace package and the binary in it. The workspace needs rustc >= 1.94
# (rust-version in Cargo.toml): cargo stops with a clear message on an older image.
ARG PACKAGE=saman-intake
ARG BINARY=${PACKAGE}

WORKDIR /src
COPY . .

# Registry and target folder are cache mounts: a rebuild after a source change recompiles
# only the workspace crates. The target folder is not part of the image, so the binary is
# copied out to /out in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    set -eux; \
    rustc --version; \
    cargo build --release --locked -p "${PACKAGE}" --bin "${BINARY}"; \
    install -D -m 0755 "target/release/${BINARY}" "/out/${BINARY}"

# ---------------------------------------------------------------------------------------
FROM ${RUNTIME_IMAGE} AS runtime

# CA certificates for TLS connections to NATS (rustls with the system roots). SQLite is
# compiled into the binary and time zones are bundled (jiff): nothing else is needed.
# ca-certificates is left unpinned on purpose: it should follow Debian's security updates.
# hadolint ignore=DL3008
RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends ca-certificates; \
    rm -rf /var/lib/apt/lists/*

# A fixed, numeric non-root user (Kubernetes runAsNonRoot can check it), owning the data
# folder. The folder is created before VOLUME so a new named volume inherits the owner.
RUN set -eux; \
    groupadd --system --gid 10001 saman; \
    useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/saman --no-create-home \
        --shell /usr/sbin/nologin saman; \
    install -d -o 10001 -g 10001 -m 0750 /var/lib/saman

WORKDIR /var/lib/saman

# ---------------------------------------------------------------------------------------
FROM runtime AS intake

ARG BINARY=saman-intake
COPY --from=builder /out/${BINARY} /usr/local/bin/${BINARY}

LABEL org.opencontainers.image.title="saman-intake" \
      org.opencontainers.image.description="Saman intake: records the programme's submissions as events (gRPC) and publishes them to NATS JetStream" \
      org.opencontainers.image.licenses="Apache-2.0"

# Defaults for a container; every setting can be overridden (see deploy/README.md).
# The embedded SQLite event store lives in the volume below: one container only. For
# several replicas, set SAMAN_DATABASE_URL=postgres://... (the volume then stays empty).
ENV SAMAN_INTAKE_LISTEN=0.0.0.0:50051 \
    SAMAN_LOG_FORMAT=json \
    SAMAN_DATABASE_URL=sqlite:///var/lib/saman/intake.db?mode=rwc

VOLUME ["/var/lib/saman"]

# gRPC: the intake API, grpc.health.v1 and server reflection.
EXPOSE 50051

# No HEALTHCHECK: the image carries no gRPC health client binary. Orchestrators should use
# the gRPC health protocol (grpc.health.v1.Health/Check) natively, e.g. Kubernetes `grpc:`
# probes (deploy/k8s/deployment.yaml):
#   service ""                        SERVING while the process serves gRPC (liveness);
#   service "saman.intake.v1.Intake"  SERVING once the event store is open and the JetStream
#                                     stream is set up, NOT_SERVING during shutdown (readiness).
HEALTHCHECK NONE

USER 10001:10001

# SIGTERM: stop taking calls, finish in-flight ones, commit what is queued, flush the
# outbox, within SAMAN_SHUTDOWN_GRACE per phase: give the container ~4x that to stop.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/saman-intake"]
