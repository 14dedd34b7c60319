# The IETS portal image: web (gunicorn), Celery worker and Celery beat all run from it;
# docker-compose.yml picks the command. Settings: ietsportal.settings_production.
FROM python:3.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=ietsportal.settings_production \
    IETS_VAR_DIR=/app/var \
    PYTHONPATH=/app

# WeasyPrint's libraries (Pango, HarfBuzz with hb-subset) and a CJK font for the certificates.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# The pinned dependencies first, from pyproject.toml alone, so that a code change reuses this
# layer. The portal itself runs from /app (PYTHONPATH), where templates/, static/ and locale/
# sit beside the packages.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .

# Static files are collected at build time; the key below exists only for this command.
RUN SECRET_KEY=collectstatic-at-build-time-only-not-a-secret-0123456789 \
        python manage.py collectstatic --noinput -v 0

# A non-root user; it writes only under /app/var (media volume, beat's schedule file).
RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home iets \
    && mkdir -p /app/var/media \
    && chown -R iets:iets /app/var/media \
    && chown iets:iets /app/var
USER iets

EXPOSE 8000
CMD ["gunicorn", "ietsportal.wsgi:application", "--bind=0.0.0.0:8000", "--workers=2", "--access-logfile=-"]
