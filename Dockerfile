# The image of deploy/webhook: `souverain` on a distroless base, non-root.
#   docker build -t registry.example.fr/souverain:0.1.0 .
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p souverain --bin souverain

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/souverain /usr/local/bin/souverain
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/souverain"]
CMD ["serve", "--help"]
