# Controller image: the release binary plus the built web UI.
FROM node:20-bookworm-slim AS ui
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
COPY openapi/ /src/openapi/
RUN npm run build

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --bin pureboot

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/pureboot /usr/local/bin/pureboot
COPY --from=ui /src/frontend/dist /srv/pureboot/ui
ENV PUREBOOT_UI_DIR=/srv/pureboot/ui PUREBOOT_DATA_DIR=/var/lib/pureboot PUREBOOT_LISTEN=0.0.0.0:8080
VOLUME /var/lib/pureboot
EXPOSE 8080
ENTRYPOINT ["pureboot"]
CMD ["serve"]
