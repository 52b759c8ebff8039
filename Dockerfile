# dossier: build with the official Rust image, run on distroless as a non-root user.
#   podman build -t dossier .      (or docker build)
#   podman run --rm -it dossier chat
#   podman run --rm -v ./briefings:/briefings:ro dossier check
#   podman run --rm -p 8080:8080 -v ./dossier.toml:/etc/dossier/dossier.toml:ro \
#     -v dossier-state:/data dossier serve --config /etc/dossier/dossier.toml
# For `serve`, the config sets `briefings = "/briefings"`, `state = "/data"` and, for the HTTP
# endpoint, `interactions_listen = "0.0.0.0:8080"` (the container's own interface).
FROM docker.io/library/rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY benches ./benches
RUN cargo build --release --locked --bin dossier \
 && strip target/release/dossier \
 && mkdir -p /out/data

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/dossier /usr/local/bin/dossier
# The bundled cards; mount a volume here to serve your own.
COPY briefings /briefings
# State for `serve` (Matrix store and session, registered-commands record): a volume.
COPY --from=build --chown=65532:65532 /out/data /data
VOLUME /data
ENV DOSSIER_BRIEFINGS=/briefings
EXPOSE 8080
USER 65532:65532
WORKDIR /
ENTRYPOINT ["dossier"]
CMD ["chat"]
