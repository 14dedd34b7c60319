#!/usr/bin/env bash
# Set up this checkout to run (and, with --test, to test) the IETS portal. Idempotent: a rerun
# on a machine that is already set up checks a few things and returns in about a second.
#
#   scripts/setup.sh           system libraries the portal needs (WeasyPrint, a CJK font), .venv
#   scripts/setup.sh --test    the same, plus Chromium, gettext, docker-compose, Java and the
#                              tests' node packages (axe-core and vnu-jar, pinned in
#                              package-lock.json: npm ci)
#
# System packages are installed with apt-get only when running as root; otherwise the missing
# ones are listed and the script carries on. Set PYTHON=/path/to/python3.12 to choose the
# interpreter that creates .venv.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

with_test=0
for arg in "$@"; do
    case "$arg" in
        --test) with_test=1 ;;
        -h | --help)
            sed -n '2,10s/^# \{0,1\}//p' "$0"
            exit 0
            ;;
        *)
            echo "setup.sh: unknown argument '$arg' (try --help)" >&2
            exit 2
            ;;
    esac
done

say() { printf 'setup: %s\n' "$*"; }

# --- System packages (Debian) -------------------------------------------------------------
# WeasyPrint's libraries and a CJK font render the certificate PDFs; the test set adds the
# browser for the e2e tests, gettext for `make messages` and docker-compose to validate
# docker-compose.yml.
runtime_debs=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk)
test_debs=(chromium gettext docker-compose)
# npm installs axe-core for the accessibility test; Debian's nodejs and npm only when there is
# no npm at all (a Node.js from elsewhere brings its own npm, which Debian's npm would clash with).
if ! command -v npm >/dev/null 2>&1; then
    test_debs+=(nodejs npm)
fi
# The Nu HTML Checker (vnu.jar, from npm) runs on Java 11 or later; Debian's default JRE when
# there is no java at all.
if ! command -v java >/dev/null 2>&1; then
    test_debs+=(default-jre-headless)
fi
wanted=("${runtime_debs[@]}")
if ((with_test)); then
    wanted+=("${test_debs[@]}")
fi

if command -v dpkg-query >/dev/null 2>&1; then
    missing=()
    for pkg in "${wanted[@]}"; do
        status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
        [[ "$status" == installed ]] || missing+=("$pkg")
    done
    if ((${#missing[@]} == 0)); then
        say "system packages present: ${wanted[*]}"
    elif [[ $(id -u) -eq 0 ]]; then
        say "installing system packages: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}"
    else
        say "not root, so not installing these missing system packages: ${missing[*]}"
        say "  install them with: sudo apt-get install --no-install-recommends ${missing[*]}"
    fi
else
    say "no dpkg here: make sure the equivalents of these Debian packages are installed:" \
        "${wanted[*]}"
fi

# --- Python 3.12 and the virtual environment ----------------------------------------------
is_py312() { [[ -n "$1" ]] && "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' \
    >/dev/null 2>&1; }

find_python() {
    local pyenv_root candidates=()
    [[ -n "${PYTHON:-}" ]] && candidates+=("$PYTHON")
    # The pyenv shim reads .python-version (3.12.1) in this directory.
    candidates+=(python3.12)
    pyenv_root=$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")
    candidates+=("$pyenv_root/versions/3.12.1/bin/python")
    for dir in "$pyenv_root"/versions/3.12.*/bin; do
        [[ -x "$dir/python" ]] && candidates+=("$dir/python")
    done
    # Any other python3.12 on PATH (type -ap lists them all, shims included).
    while IFS= read -r found; do candidates+=("$found"); done < <(type -ap python3.12 || true)
    candidates+=(/usr/local/bin/python3.12 /usr/bin/python3.12)
    for candidate in "${candidates[@]}"; do
        if is_py312 "$candidate"; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

venv=.venv
if [[ -e "$venv" ]] && ! is_py312 "$venv/bin/python"; then
    say "$venv does not run Python 3.12 (its interpreter is gone or another version): recreating"
    rm -rf "$venv"
fi
if [[ ! -e "$venv" ]]; then
    if ! python=$(find_python); then
        echo "setup: no Python 3.12 found (tried PYTHON, python3.12, pyenv's 3.12.x)." >&2
        echo "setup: install it, e.g. 'pyenv install 3.12.1', or set PYTHON=/path/to/python3.12" >&2
        exit 1
    fi
    say "creating $venv with $python ($("$python" -c 'import sys; print(sys.version.split()[0])'))"
    "$python" -m venv "$venv"
fi

# pip runs only when pyproject.toml (the pinned dependencies) is newer than the stamp.
stamp="$venv/.ietsportal-installed"
if [[ ! -f "$stamp" || pyproject.toml -nt "$stamp" ]]; then
    say "installing the portal and its pinned dependencies into $venv (pip install -e '.[dev]')"
    "$venv/bin/python" -m pip install --disable-pip-version-check -q -e '.[dev]'
    touch "$stamp"
else
    say "$venv is up to date with pyproject.toml"
fi

# --- The tests' node packages ---------------------------------------------------------------
# npm ci runs only when axe-core or vnu.jar is missing or package-lock.json is newer than the
# stamp (npm ci empties node_modules/ first, so the stamp inside it goes too). --ignore-scripts:
# vnu-jar's postinstall would try to download a Java runtime; Debian's JRE is used instead.
if ((with_test)); then
    node_stamp=node_modules/.ietsportal-installed
    if [[ -f node_modules/axe-core/axe.min.js && -f node_modules/vnu-jar/build/dist/vnu.jar &&
        -f "$node_stamp" &&
        ! package-lock.json -nt "$node_stamp" ]]; then
        say "node_modules/ is up to date with package-lock.json"
    elif command -v npm >/dev/null 2>&1; then
        say "installing the tests' node packages from package-lock.json (npm ci)"
        npm ci --no-audit --no-fund --ignore-scripts
        touch "$node_stamp"
    else
        say "warning: npm is missing, so axe-core and vnu.jar are not installed and the" \
            "accessibility and HTML validity tests cannot run"
    fi
fi

if ((with_test)) && [[ ! -x /usr/bin/chromium ]]; then
    say "warning: /usr/bin/chromium is missing, so the e2e tests cannot run"
fi
say "done"
