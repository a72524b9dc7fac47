# Reciprocity: the bot in a slim image. `docker run -e SLACK_BOT_TOKEN=… -e SLACK_SIGNING_SECRET=…`
# Both stages use one pinned base (the venv is copied across, so its Python must be the same one).
FROM python:3.11.14-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/reciprocity
COPY pyproject.toml README.md ./
COPY app ./app
COPY migrations ./migrations
RUN /opt/reciprocity/bin/pip install --no-cache-dir '.[postgres]'

FROM python:3.11.14-slim-bookworm
RUN groupadd --gid 10001 reciprocity \
    && useradd --create-home --uid 10001 --gid 10001 reciprocity \
    && mkdir /data && chown 10001:10001 /data
COPY --from=build /opt/reciprocity /opt/reciprocity
ENV PATH=/opt/reciprocity/bin:$PATH \
    DATABASE_URL=sqlite:////data/reciprocity.db \
    PORT=3000 \
    PYTHONUNBUFFERED=1
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('PORT', '3000')}/healthz\", timeout=2)"]
CMD ["reciprocity", "run"]
