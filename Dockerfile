# dossier: build with the official Rust image, run on distroless as a non-root user.
#   podman build --format docker -t dossier .      (or docker build)
#   podman run --rm -it dossier chat
#   podman run --rm -v ./briefings:/briefings:ro dossier check
#   podman run --rm -p 8080:8080 -v ./dossier.toml:/etc/dossier/dossier.toml:ro \
#     -v dossier-state:/data dossier serve --config /etc/dossier/dossier.toml
# For `serve`, the config sets `briefings = "/briefings"`, `state = "/data"` and
# `[http] listen = "0.0.0.0:8080"` (the container's own interface): the health check probes it.
#
# Dependencies are built in a layer of their own (cargo-chef): a change to dossier's sources
# rebuilds only dossier, not serenity and matrix-sdk. The binary uses the `dist` profile (LTO).
FROM docker.io/library/rust:1.95-slim-bookworm AS chef
RUN cargo install cargo-chef --locked --version ~0.1
WORKDIR /src

FROM chef AS planner
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY benches ./benches
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS build
COPY --from=planner /src/recipe.json recipe.json
RUN cargo chef cook --profile dist --locked --recipe-path recipe.json --bin dossier
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY benches ./benches
# The chart's font, which the binary embeds.
COPY assets ./assets
RUN cargo build --profile dist --locked --bin dossier && mkdir -p /out/data

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/dist/dossier /usr/local/bin/dossier
# The bundled cards, owned by the bot's user so that edits from chat can be saved (a volume
# mounted here, as deploy/compose.yaml does, starts as a copy of them); mount your own here,
# read-only if nobody should edit them from chat.
COPY --chown=65532:65532 briefings /briefings
# State for `serve` (Matrix store and session, registered-commands record): a volume.
COPY --from=build --chown=65532:65532 /out/data /data
VOLUME /data
ENV DOSSIER_BRIEFINGS=/briefings
EXPOSE 8080
USER 65532:65532
WORKDIR /
# The binary probes its own /healthz: distroless has no curl.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["dossier", "health", "--addr", "127.0.0.1:8080"]
ENTRYPOINT ["dossier"]
CMD ["chat"]
