# Build a static binary, then ship it alone on distroless: a small image is
# a fast pull on every job that uses the action.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X main.version=${VERSION}" -o /sigmagate .

# distroless/static has the CA certificates for https. No USER: the runner
# mounts GITHUB_OUTPUT and GITHUB_STEP_SUMMARY writable for root only, so
# the :nonroot tag would break the step.
FROM gcr.io/distroless/static-debian12
COPY --from=build /sigmagate /sigmagate
ENTRYPOINT ["/sigmagate"]
