# VENUE image: one image for every Python role (web = gunicorn WSGI, ws = uvicorn ASGI,
# celery worker, celery beat, migrate); docker-compose.yml picks the command.

# --- build: install the pinned production requirements into a virtualenv.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
COPY requirements/base.txt requirements/production.txt /tmp/requirements/
RUN /opt/venv/bin/pip install -r /tmp/requirements/production.txt

# --- runtime: the virtualenv, the code, collected static files; no compiler, not root.
FROM python:3.11-slim AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=venue.settings.production \
    DJANGO_DEBUG=0 \
    VENUE_STATIC_ROOT=/app/staticfiles
RUN groupadd --system --gid 10001 venue \
    && useradd --system --uid 10001 --gid venue --home-dir /app --shell /usr/sbin/nologin venue
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY --chown=venue:venue . /app
# collectstatic needs settings, not secrets: a throwaway key that lives only in this layer's command.
RUN SECRET_KEY=collectstatic-only-not-used-at-runtime-0123456789abcdef \
    python manage.py collectstatic --noinput -v 0 \
    && python -m compileall -q apps venue
USER venue
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "venue.wsgi:application"]
