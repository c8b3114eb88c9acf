# The image the action runs: one static binary and the CA certificates.
#
# The build stage runs on the builder's own platform and cross-compiles for
# the target platform (TARGETOS/TARGETARCH, set by BuildKit), so that the
# release builds linux/arm64 on an amd64 runner without emulation; the final
# stage only copies files.
#
# golang:1.26 is pinned by the digest of its multi-platform index (it lists
# linux/amd64 and linux/arm64), as docker-library/repo-info records it in
# repos/golang/remote/1.26.md (Go 1.26.5, 2026-08-05). Dependabot
# (.github/dependabot.yml) proposes the new digest when the tag moves; by
# hand: docker buildx imagetools inspect golang:1.26.
FROM --platform=$BUILDPLATFORM golang:1.26@sha256:6cd10a6fcc5eadd62008fc2ad8056b38971cafd42f44d55297f18be8adc86410 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags="-s -w -X main.version=${VERSION}" -o /sigmagate .

# scratch with the CA bundle of the pinned build image: https to the API
# needs nothing more, and nothing in the image escapes the one pin above.
# No USER: the runner mounts GITHUB_OUTPUT and GITHUB_STEP_SUMMARY writable
# for root only. The exec-form ENTRYPOINT runs the binary itself: a shell in
# between (dash) would drop every INPUT_* whose name has a hyphen, such as
# INPUT_API-KEY.
FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /sigmagate /sigmagate
ENTRYPOINT ["/sigmagate"]
