#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian machine:
#   - Debian's chromium (+ a CJK font) for the real-browser tests (never `playwright install`);
#   - R with the survey package, the statistical reference;
#   - a Java runtime (17) for Spark's local[2] mode in the engine tests;
#   - nginx, the proxy in front of several app processes (tests/survey/test_cluster.py);
#   - PostgreSQL 15 (server binaries, pg_dump), the shared store: tests/conftest.py starts a throwaway server;
#   - the pinned Python packages (runtime + test).
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium fonts-wqy-microhei)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
if ! command -v Rscript >/dev/null 2>&1 || ! Rscript -e 'library(survey)' >/dev/null 2>&1; then
  need+=(r-base-core r-cran-survey)
fi
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && command -v pg_dump >/dev/null 2>&1 || need+=(postgresql)
if ((${#need[@]})); then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
