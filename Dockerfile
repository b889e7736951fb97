# One image for web, worker and beat; docker-compose.yml picks the command.
# Installs the same way bin/setup does: the project from pyproject.toml, with uv.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    FEEDBACK_DATA_DIR=/var/lib/feedback

RUN useradd --create-home --uid 10001 feedback \
    && mkdir -p /var/lib/feedback && chown feedback /var/lib/feedback

WORKDIR /app
COPY pyproject.toml README.md alembic.ini gunicorn.conf.py ./
COPY feedback_service ./feedback_service
COPY workers ./workers
COPY migrations ./migrations
RUN pip install uv && uv pip install --system --compile-bytecode .

USER feedback
# The seed comment model, trained into the image (/var/lib/feedback/build, and
# MODEL_DIR=/var/lib/feedback/models, which docker-compose mounts as the volume every
# worker shares): no container trains it at first use. SECRET_KEY only keeps the
# build from writing a key file into the image.
RUN SECRET_KEY=image-build flask --app feedback_service analysis build
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"
# Migrate, make sure the shared MODEL_DIR holds this image's seed model (a copy from
# the image, about a second), then serve. Workers and beat override the command (see
# docker-compose.yml).
# Workers, threads and access log come from gunicorn.conf.py (WEB_WORKERS, WEB_THREADS).
CMD ["sh", "-c", "flask --app feedback_service db upgrade && flask --app feedback_service analysis build && exec gunicorn --bind 0.0.0.0:8000 'feedback_service:create_app()'"]
