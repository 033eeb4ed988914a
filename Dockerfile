# Undertone: the Slack app on CPU, as a non-root user.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1

WORKDIR /app

# The CPU build of torch first, so nothing pulls a multi-gigabyte CUDA build.
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu

COPY pyproject.toml README.md ./
COPY bot ./bot
COPY classifiers ./classifiers
COPY migrations ./migrations
RUN pip install . && useradd --create-home --uid 10001 undertone

USER undertone
WORKDIR /home/undertone
EXPOSE 3000

# Migrate, then run. Socket Mode by default; pass `--http` for HTTP mode.
ENTRYPOINT ["sh", "-c", "undertone db upgrade && exec undertone run \"$@\"", "undertone"]
CMD []
