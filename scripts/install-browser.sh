#!/bin/sh
# Install the headless browser the browser tests drive (Debian's chromium + chromedriver).
# Idempotent, and never fails the build: without root or apt, the browser tests are skipped.
#   usage: scripts/install-browser.sh
CHROMIUM=${FLOPMINE_CHROMIUM:-/usr/bin/chromium}
DRIVER=${FLOPMINE_CHROMEDRIVER:-/usr/bin/chromedriver}

if [ -x "$CHROMIUM" ] && [ -x "$DRIVER" ]; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "install-browser: installing chromium and chromium-driver with apt-get"
    if DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null \
        && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium chromium-driver >/dev/null; then
        echo "install-browser: done"
    else
        echo "install-browser: apt-get failed; browser tests will be skipped"
    fi
else
    echo "install-browser: $CHROMIUM or $DRIVER missing and cannot apt-get install them (not root or no apt);" \
         "browser tests will be skipped"
fi
exit 0
