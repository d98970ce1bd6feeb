# syntax=docker/dockerfile:1
# Two images from one file (docker-compose.yml builds both):
#   --target api     the web app and the API; no torch (the API never imports it)
#   --target worker  a Celery worker with the CUDA build of torch (runs on CPU too)
# Build stages hold node, npm and pip; the runtime stages are slim Python with only the
# venv and the sources, run as the fixed-uid user `ontolabel`. The package is installed
# editable at /app, so the shipped ontologies/ and the built frontend resolve next to the
# code (api/app.py and cli/catalog.py find them from the source tree).
ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG NODE_IMAGE=node:20-bookworm-slim

# --- build: the frontend ---------------------------------------------------------------
FROM ${NODE_IMAGE} AS frontend-build
WORKDIR /app/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

# --- build: the Python venvs -----------------------------------------------------------
FROM ${PYTHON_IMAGE} AS python-build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PATH=/opt/venv/bin:$PATH
RUN python -m venv /opt/venv
WORKDIR /app
COPY pyproject.toml README.md ./
COPY backend/ backend/
COPY worker/ worker/
RUN pip install -e .

FROM python-build AS worker-build
# torch/torchvision from the pins in pyproject.toml: on x86_64 that is their CUDA build.
RUN pip install -e '.[worker]'

# --- runtime: what both images share ---------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
ARG UID=10001
# The mount points exist in the image, owned by ontolabel, so the named volumes compose
# creates there start out writable by the non-root user.
RUN groupadd --system --gid "${UID}" ontolabel \
 && useradd --system --uid "${UID}" --gid ontolabel --no-create-home \
      --home-dir /var/lib/ontolabel --shell /usr/sbin/nologin ontolabel \
 && install -d -o ontolabel -g ontolabel \
      /var/lib/ontolabel /outputs /cache /data /run/ontolabel-gpus
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ONTOLABEL_HOME=/var/lib/ontolabel \
    ONTOLABEL_OUTPUT_ROOT=/outputs \
    ONTOLABEL_CACHE_DIR=/cache \
    ONTOLABEL_DATA_ROOTS=/data
WORKDIR /app
COPY pyproject.toml README.md ./
COPY backend/ backend/
COPY worker/ worker/
COPY ontologies/ ontologies/

# --- runtime: worker -------------------------------------------------------------------
FROM runtime AS worker
COPY --from=worker-build /opt/venv /opt/venv
COPY --chmod=0755 docker/claim-gpu.sh /usr/local/bin/ontolabel-claim-gpu
# compute for CUDA, utility for the nvidia-smi that claim-gpu lists the GPUs with.
ENV NVIDIA_DRIVER_CAPABILITIES=compute,utility
USER ontolabel
CMD ["ontolabel", "worker", "--queues", "cpu"]

# --- runtime: api (the default target) -------------------------------------------------
FROM runtime AS api
COPY --from=python-build /opt/venv /opt/venv
COPY --from=frontend-build /app/frontend/dist frontend/dist
USER ontolabel
EXPOSE 8000
CMD ["ontolabel", "serve", "--host", "0.0.0.0", "--port", "8000"]
