#!/usr/bin/env bash
# Start the IETS portal on the embedded default: SQLite, Celery on Kombu's filesystem://
# transport with beat inside one worker, the local-memory cache. No server to install.
#
#   scripts/run-embedded.sh      (what `make run` does)
#
# Sets up .venv, migrates, collects static files, loads the demo data (idempotent), starts the
# Celery worker with embedded beat in the background (log: var/celery.log) and the web server
# in the foreground. Ctrl-C stops both. Environment: ADDR (default 127.0.0.1:8000),
# DEBUG (default true), DEMO_PASSWORD (default demo12345), plus every variable the settings
# read (docs/operations.md); DATABASE_URL or REDIS_URL, if set, are used as they are.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh

export DEBUG="${DEBUG:-true}"
addr="${ADDR:-127.0.0.1:8000}"
export SITE_URL="${SITE_URL:-http://$addr}"
demo_password="${DEMO_PASSWORD:-demo12345}"
var_dir="${IETS_VAR_DIR:-var}"
py=.venv/bin/python

mkdir -p "$var_dir/celery-queue" "$var_dir/celery-processed" "$var_dir/media"

echo "run: migrating the database"
"$py" manage.py migrate --noinput
echo "run: collecting static files"
"$py" manage.py collectstatic --noinput -v 0
echo "run: loading the demo data"
"$py" manage.py seed_demo --password "$demo_password"

celery_log="$var_dir/celery.log"
echo "run: starting the Celery worker with embedded beat (log: $celery_log)"
.venv/bin/celery -A ietsportal worker -B -P solo --loglevel=INFO >>"$celery_log" 2>&1 &
celery_pid=$!

stop_celery() {
    trap - EXIT
    if kill -0 "$celery_pid" 2>/dev/null; then
        echo "run: stopping the Celery worker (pid $celery_pid)"
        kill -TERM "$celery_pid" 2>/dev/null || true
        for _ in $(seq 1 20); do
            kill -0 "$celery_pid" 2>/dev/null || break
            sleep 0.5
        done
        kill -KILL "$celery_pid" 2>/dev/null || true
    fi
}
trap stop_celery EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

sleep 2
if ! kill -0 "$celery_pid" 2>/dev/null; then
    echo "run: the Celery worker exited at once; the end of $celery_log:" >&2
    tail -n 30 "$celery_log" >&2
    exit 1
fi

cat <<EOF

  IETS portal (embedded default) at http://$addr/
    verify a certificate:  http://$addr/verify/
    publicity (公示):      http://$addr/publicity/
    API docs:              http://$addr/api/v1/docs/

  Demo logins, password $demo_password:
    center          center staff (评价中心)
    inst-national   admin of the national institution (inst-local: the local one)
    nat-assessor1   assessor of the national institution
    expert1         expert (expert1 … expert5)
    applicant       enterprise applicant (applicant-assoc: an association)

  Scheduled jobs run in the Celery worker (log: $celery_log). Ctrl-C stops everything.

EOF

"$py" manage.py runserver "$addr" --noreload
