# syntax=docker/dockerfile:1
# kafka-loss-exporter container image: a static binary (CGO_ENABLED=0) built
# in a Go stage, on a distroless non-root runtime image that holds only CA
# certificates (for TLS to Kafka), tzdata and /etc/passwd.
#
#   make docker        (stamps the version from git, the build user and date), or
#   docker build --build-arg VERSION=$(git describe --tags --always) \
#     --build-arg REVISION=$(git rev-parse HEAD) --build-arg BRANCH=$(git rev-parse --abbrev-ref HEAD) -t kafka-loss-exporter .
#   (without BUILD_USER and BUILD_DATE: docker@buildkit and the time of the build).
#
# Multi-arch: docker buildx build --platform linux/amd64,linux/arm64 ... (the
# build stage cross-compiles on the build machine's platform).
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
ARG REVISION=unknown
ARG BRANCH=unknown
ARG BUILD_USER=docker@buildkit
ARG BUILD_DATE=
ARG TARGETOS=linux
ARG TARGETARCH
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    BUILD_DATE="${BUILD_DATE:-$(date -u +%Y%m%d-%H:%M:%S)}" && \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X github.com/prometheus/common/version.Version=${VERSION} -X github.com/prometheus/common/version.Revision=${REVISION} -X github.com/prometheus/common/version.Branch=${BRANCH} -X github.com/prometheus/common/version.BuildUser=${BUILD_USER} -X github.com/prometheus/common/version.BuildDate=${BUILD_DATE}" \
      -o /out/kafka-loss-exporter ./cmd/kafka-loss-exporter

FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="kafka-loss-exporter" \
      org.opencontainers.image.description="Prometheus exporter of Kafka message-loss risks and events" \
      org.opencontainers.image.source="https://github.com/kafka-loss-exporter/kafka-loss-exporter" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
COPY --from=build /out/kafka-loss-exporter /bin/kafka-loss-exporter
# nonroot (65532); the image runs with a read-only root filesystem.
USER 65532:65532
EXPOSE 9785
ENTRYPOINT ["/bin/kafka-loss-exporter"]
