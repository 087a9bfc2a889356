# Multi-stage build of a static kafka-loss-exporter on a distroless, non-root
# runtime image (CA certificates included for TLS to Kafka).
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG REVISION=unknown
ARG BRANCH=unknown
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/prometheus/common/version.Version=${VERSION} -X github.com/prometheus/common/version.Revision=${REVISION} -X github.com/prometheus/common/version.Branch=${BRANCH}" \
      -o /out/kafka-loss-exporter ./cmd/kafka-loss-exporter

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/kafka-loss-exporter /bin/kafka-loss-exporter
USER 65532:65532
EXPOSE 9785
ENTRYPOINT ["/bin/kafka-loss-exporter"]
