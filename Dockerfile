# dossier: build with the official Rust image, run on distroless as a non-root user.
#   podman build -t dossier .      (or docker build)
#   podman run --rm -it dossier chat
#   podman run --rm -v ./briefings:/briefings:ro dossier check
FROM docker.io/library/rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY benches ./benches
RUN cargo build --release --locked --bin dossier \
 && strip target/release/dossier

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/dossier /usr/local/bin/dossier
# The bundled cards; mount a volume here to serve your own.
COPY briefings /briefings
ENV DOSSIER_BRIEFINGS=/briefings
USER 65532:65532
WORKDIR /
ENTRYPOINT ["dossier"]
CMD ["chat"]
